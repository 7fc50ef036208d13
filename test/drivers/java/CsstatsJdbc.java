/*
 * csstats through the PostgreSQL JDBC driver (Debian libpostgresql-jdbc-java),
 * as a BI tool uses it (test/suites/65_drivers.sh).
 *
 *   java -cp /usr/share/java/postgresql.jar:. CsstatsJdbc MODE URL USER PASSWORD CHANNEL OUTDIR
 *
 * MODE direct:  every BI query of the README and every flat view through a
 *               PreparedStatement executed past prepareThreshold (5): the
 *               statement must become a server-side prepared statement
 *               (pg_prepared_statements of the same session, executions
 *               counted by its plan counters), once with custom plans and
 *               once with plan_cache_mode = force_generic_plan, and every
 *               execution must return the same rows as the first (text on the
 *               first executions, binary transfer later; all in one
 *               transaction, so that now() is the same); reads timestamptz
 *               (OffsetDateTime), numeric (BigDecimal), arrays (java.sql.Array)
 *               and jsonb (PGobject) with the driver's own types; exports with
 *               a generated password and writes OUTDIR/jdbc-direct.xlsx and
 *               OUTDIR/jdbc-direct.password.
 * MODE pooled:  the same queries through pgbouncer in transaction pooling
 *               (URL with prepareThreshold=0: no named statements, see
 *               docs/operations.md), and the export to OUTDIR/jdbc-pooled.*.
 * MODE pitfall: why: two clients of a pgbouncer pool with one server
 *               connection, prepareThreshold=1: the second client's named
 *               statement S_1 collides with the first's on the shared backend
 *               (SQLSTATE 42P05), or the first finds its own gone (26000).
 *
 * Prints "ok: ..." lines; any failed check throws (exit status 1).
 */

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.util.PGobject;

public class CsstatsJdbc {
	static final int EXECUTIONS = 8;	/* past the driver's prepareThreshold of 5 */

	/* name, SQL with ? for the channel (and the extra bound values below) */
	static final String[][] QUERIES = {
		{"readme: business_seconds",
		 "SELECT csstats.business_seconds(?::timestamptz, ?::timestamptz, ?)"},
		{"readme: chat_metrics GROUP BY",
		 "SELECT chat_id, (csstats.chat_metrics(t, ?::timestamptz)).* FROM csstats.timeline t "
			+ "WHERE channel_id = ? GROUP BY channel_id, chat_id ORDER BY chat_id"},
		{"readme: approx_percentiles over user_chat_sheet",
		 "SELECT assignee_id, csstats.approx_percentiles(waiting_time, '{0.5,0.9}') "
			+ "FROM csstats.user_chat_sheet(?, ?::timestamptz, ?::timestamptz) GROUP BY 1 ORDER BY 1"},
		{"readme: case_metrics_current",
		 "SELECT assignee_name, local_day, csstats.approx_percentiles(waiting_time, '{0.5,0.9}') "
			+ "FROM csstats.case_metrics_current WHERE channel_id = ? GROUP BY 1, 2 ORDER BY 1, 2"},
		{"readme: inbox_counts",
		 "SELECT * FROM csstats.inbox_counts(?) ORDER BY scope, key, state"},
		{"readme: bi_daily",
		 "SELECT day, assignee_name, chats, waiting_time_p50_seconds, resolution_time_p90_seconds "
			+ "FROM csstats.bi_daily WHERE channel_id = ? ORDER BY day DESC, assignee_name"},
		{"view: bi_chats",
		 "SELECT * FROM csstats.bi_chats WHERE channel_id = ? ORDER BY chat_id"},
		{"view: bi_chat_tags",
		 "SELECT * FROM csstats.bi_chat_tags WHERE channel_id = ? ORDER BY chat_id, tag"},
		{"view: bi_cases",
		 "SELECT * FROM csstats.bi_cases WHERE channel_id = ? ORDER BY case_id"},
		{"view: bi_case_tags",
		 "SELECT * FROM csstats.bi_case_tags WHERE channel_id = ? ORDER BY case_id, tag"},
		{"view: bi_daily",
		 "SELECT * FROM csstats.bi_daily WHERE channel_id = ? ORDER BY day, assignee_id"},
	};

	static void check(boolean ok, String what) {
		if (!ok)
			throw new IllegalStateException("FAILED: " + what);
	}

	static void bind(PreparedStatement ps, String name, String channel) throws Exception {
		switch (name) {
			case "readme: business_seconds":
				ps.setString(1, "2025-03-03 17:00+09");
				ps.setString(2, "2025-03-05 10:00+09");
				ps.setString(3, channel);
				break;
			case "readme: chat_metrics GROUP BY":
				ps.setString(1, "2025-07-01");
				ps.setString(2, channel);
				break;
			case "readme: approx_percentiles over user_chat_sheet":
				ps.setString(1, channel);
				ps.setString(2, "2025-03-01");
				ps.setString(3, "2025-04-01");
				break;
			default:
				ps.setString(1, channel);
		}
	}

	/* every row as text (arrays and jsonb by their text form) */
	static List<String> rows(ResultSet rs) throws Exception {
		ResultSetMetaData md = rs.getMetaData();
		List<String> out = new ArrayList<>();
		while (rs.next()) {
			StringBuilder b = new StringBuilder();
			for (int i = 1; i <= md.getColumnCount(); i++) {
				Object v = rs.getObject(i);
				if (v instanceof Array)
					v = java.util.Arrays.deepToString((Object[]) ((Array) v).getArray());
				else if (v instanceof OffsetDateTime)
					v = ((OffsetDateTime) v).toInstant();
				b.append(v).append('|');
			}
			out.add(b.toString());
		}
		return out;
	}

	/* Runs one query EXECUTIONS times; returns its rows. */
	static List<String> repeat(Connection c, String name, String sql, String channel, boolean pooled,
			String label) throws Exception {
		List<String> first = null;
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			for (int i = 1; i <= EXECUTIONS; i++) {
				bind(ps, name, channel);
				try (ResultSet rs = ps.executeQuery()) {
					List<String> r = rows(rs);
					if (first == null)
						first = r;
					else
						check(first.equals(r), name + " " + label + ": execution " + i + " returned other rows");
				}
			}
			if (!pooled) {
				check(ps.unwrap(PGStatement.class).isUseServerPrepare(),
					name + " " + label + ": the driver did not switch to a server-side prepared statement");
			}
		}
		return first;
	}

	/* the session's named statement for sql, and how often its plans ran */
	static long[] planCounts(Connection c, String sql) throws Exception {
		try (PreparedStatement ps = c.prepareStatement(
				"SELECT count(*), coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
					+ "FROM pg_prepared_statements WHERE NOT from_sql AND statement = ?")) {
			/* the driver sends ? as $1, $2, ... */
			StringBuilder s = new StringBuilder();
			int n = 0;
			for (char ch : sql.toCharArray()) {
				if (ch == '?')
					s.append('$').append(++n);
				else
					s.append(ch);
			}
			ps.setString(1, s.toString());
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
			}
		}
	}

	static void types(Connection c, String channel) throws Exception {
		String sql = "SELECT b.created_at, extract(epoch FROM b.created_at) AS epoch, "
			+ "round(b.waiting_time_seconds::numeric, 3) AS wait, b.waiting_time_seconds, "
			+ "u.tags, k.profile, csstats.approx_percentiles(b.waiting_time_seconds, '{0.5,0.9}') "
			+ "OVER () AS p "
			+ "FROM csstats.bi_chats b JOIN csstats.user_chats u ON u.channel_id = b.channel_id AND u.id = b.chat_id "
			+ "JOIN csstats.bi_cases k ON k.channel_id = b.channel_id AND k.chat_id = b.chat_id "
			+ "WHERE b.channel_id = ? AND b.waiting_time_seconds IS NOT NULL AND k.case_number = 1 "
			+ "AND cardinality(u.tags) > 0 ORDER BY b.chat_id LIMIT 20";
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			for (int i = 1; i <= EXECUTIONS; i++) {
				ps.setString(1, channel);
				int n = 0;
				try (ResultSet rs = ps.executeQuery()) {
					while (rs.next()) {
						n++;
						OffsetDateTime at = rs.getObject("created_at", OffsetDateTime.class);
						BigDecimal epoch = rs.getBigDecimal("epoch");
						BigDecimal micros = BigDecimal.valueOf(at.toEpochSecond()).multiply(BigDecimal.valueOf(1_000_000))
							.add(BigDecimal.valueOf(at.getNano() / 1000));
						check(micros.compareTo(epoch.multiply(BigDecimal.valueOf(1_000_000))) == 0,
							"timestamptz as OffsetDateTime equals its epoch (" + at + " vs " + epoch + ")");
						BigDecimal wait = rs.getBigDecimal("wait");
						check(wait.scale() == 3, "numeric keeps its scale as BigDecimal: " + wait);
						check(wait.subtract(BigDecimal.valueOf(rs.getDouble("waiting_time_seconds"))).abs()
							.compareTo(new BigDecimal("0.0005")) <= 0, "numeric equals the double");
						Array tags = rs.getArray("tags");
						check(tags.getBaseTypeName().equals("text"), "text[] base type: " + tags.getBaseTypeName());
						String[] t = (String[]) tags.getArray();
						check(t.length > 0, "text[] elements");
						Object prof = rs.getObject("profile");
						check(prof instanceof PGobject && ((PGobject) prof).getType().equals("jsonb")
							&& ((PGobject) prof).getValue().startsWith("{"), "jsonb as PGobject: " + prof);
						Array p = rs.getArray("p");
						Double[] pv = (Double[]) p.getArray();
						check(pv.length == 2 && pv[0] <= pv[1], "float8[] as Double[]: p50 <= p90");
					}
				}
				check(n > 0, "typed rows found");
			}
			check(ps.unwrap(PGStatement.class).isUseServerPrepare() || c.getMetaData().getURL().contains("prepareThreshold=0"),
				"types query server-prepared");
		}
		System.out.println("ok: timestamptz -> OffsetDateTime, numeric -> BigDecimal, text[] and float8[] -> java.sql.Array, jsonb -> PGobject");
	}

	static void export(Connection c, String channel, Path out, String label) throws Exception {
		String sql = "SELECT generated_password, file FROM csstats.export_chats(password => NULL, "
			+ "generate_password => true, reason => ?, channel_id => ?, since => ?, until => ?)";
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			ps.setString(1, "drivers suite: JDBC " + label);
			ps.setString(2, channel);
			ps.setObject(3, OffsetDateTime.parse("2025-03-01T00:00:00+09:00"));
			ps.setObject(4, OffsetDateTime.parse("2025-05-01T00:00:00+09:00"));
			try (ResultSet rs = ps.executeQuery()) {
				check(rs.next(), "export returned a row");
				String pw = rs.getString(1);
				byte[] file = rs.getBytes(2);
				check(pw != null && pw.length() >= 8, "a generated password");
				check(file != null && file.length > 1000, "a file");
				Files.write(out.resolve("jdbc-" + label + ".xlsx"), file);
				Files.writeString(out.resolve("jdbc-" + label + ".password"), pw);
				System.out.println("ok: export_chats with a generated password (" + file.length + " bytes)");
			}
		}
	}

	static void pitfall(String url, String user, String password, String channel) throws Exception {
		Properties p = new Properties();
		p.setProperty("user", user);
		p.setProperty("password", password);
		String sql = "SELECT count(*) FROM csstats.bi_chat_tags WHERE channel_id = ?";
		String state = null;
		try (Connection a = DriverManager.getConnection(url, p);
				Connection b = DriverManager.getConnection(url, p)) {
			for (Connection c : new Connection[] {a, b, a}) {
				try (PreparedStatement ps = c.prepareStatement(sql)) {
					for (int i = 0; i < 3; i++) {
						ps.setString(1, channel);
						try (ResultSet rs = ps.executeQuery()) {
							rs.next();
						}
					}
				} catch (java.sql.SQLException e) {
					state = e.getSQLState();
					System.out.println("ok: as expected: " + e.getMessage().split("\n")[0] + " (" + state + ")");
					break;
				}
			}
		}
		check("42P05".equals(state) || "26000".equals(state),
			"named statements through transaction pooling fail (got " + state + ")");
	}

	public static void main(String[] a) throws Exception {
		String mode = a[0], url = a[1], user = a[2], password = a[3], channel = a[4];
		Path out = Path.of(a[5]);
		boolean pooled = mode.equals("pooled");
		if (mode.equals("pitfall")) {
			pitfall(url, user, password, channel);
			return;
		}
		Properties p = new Properties();
		p.setProperty("user", user);
		p.setProperty("password", password);
		try (Connection c = DriverManager.getConnection(url, p)) {
			System.out.println("ok: connected (" + c.getMetaData().getDriverName() + " "
				+ c.getMetaData().getDriverVersion() + ", " + mode + ")");
			int threshold = c.unwrap(PGConnection.class).getPrepareThreshold();
			check(pooled ? threshold == 0 : threshold == 5, "prepareThreshold " + threshold);
			/* One transaction per query: its executions share now(), which the
			 * rows of open chats depend on (an open snooze grows with it). */
			c.setAutoCommit(false);
			for (String[] q : QUERIES) {
				c.commit();
				List<String> custom = repeat(c, q[0], q[1], channel, pooled, "custom plans");
				check(!custom.isEmpty(), q[0] + ": rows");
				if (pooled) {
					System.out.println("ok: " + q[0] + ": " + custom.size() + " rows, " + EXECUTIONS
						+ " executions through the pooler");
					continue;
				}
				long[] pc = planCounts(c, q[1]);
				check(pc[0] == 1, q[0] + ": one server-side prepared statement (" + pc[0] + ")");
				check(pc[1] + pc[2] >= EXECUTIONS - 5, q[0] + ": its plans ran " + (pc[1] + pc[2]) + " times");
				/* the same statement under generic plans: parameters as $n, not constants */
				try (Statement s = c.createStatement()) {
					s.execute("SET plan_cache_mode = force_generic_plan");
				}
				String sqlGeneric = q[1] + " ";	/* a new statement */
				List<String> generic = repeat(c, q[0], sqlGeneric, channel, pooled, "generic plans");
				long[] pg = planCounts(c, sqlGeneric);
				try (Statement s = c.createStatement()) {
					s.execute("RESET plan_cache_mode");
				}
				check(pg[1] >= EXECUTIONS - 5, q[0] + ": generic plans ran " + pg[1] + " times");
				check(custom.equals(generic), q[0] + ": generic plans return the custom plans' rows");
				System.out.println("ok: " + q[0] + ": " + custom.size() + " rows, server-side statement reused ("
					+ pc[2] + " custom, " + pc[1] + " generic executions; forced generic: " + pg[1] + ")");
			}
			c.commit();
			c.setAutoCommit(true);
			types(c, channel);
			export(c, channel, out, mode);
		}
	}
}
