// csstats through node-postgres (npm pg, pg-cursor), as application code uses
// it (test/suites/65_drivers.sh).
//
//   node drivers.js LABEL CONNECTION_STRING CHANNEL OUTDIR
//
// - the flat views and the README's BI queries with bind parameters;
// - export_chats with a generated password, every argument a bind parameter
//   ($1..$4, sent separately from the statement text); the bytea is written
//   to OUTDIR/node-LABEL.xlsx and the password to OUTDIR/node-LABEL.password;
// - user_chat_case_sheet streamed with pg-cursor in batches of 50 rows: the
//   rows read equal SELECT count(*) of the same call, and no batch is larger.
// LABEL "pooled" runs the same through pgbouncer in transaction pooling.
// Prints "ok: ..." lines; exits 1 on the first failed check.
'use strict';
const fs = require('fs');
const path = require('path');
const { Client } = require('pg');
const Cursor = require('pg-cursor');

const [label, conn, channel, outdir] = process.argv.slice(2);

function check(ok, what) {
	if (!ok) {
		console.error(`FAILED: ${what}`);
		process.exit(1);
	}
}

function read(cursor, n) {
	return new Promise((resolve, reject) =>
		cursor.read(n, (err, rows) => (err ? reject(err) : resolve(rows))));
}

async function main() {
	const c = new Client({ connectionString: conn });
	await c.connect();
	console.log(`ok: connected (${label})`);

	const queries = [
		['bi_chats', 'SELECT * FROM csstats.bi_chats WHERE channel_id = $1 ORDER BY chat_id', [channel]],
		['bi_chat_tags', 'SELECT * FROM csstats.bi_chat_tags WHERE channel_id = $1', [channel]],
		['bi_cases', 'SELECT * FROM csstats.bi_cases WHERE channel_id = $1 ORDER BY case_id', [channel]],
		['bi_case_tags', 'SELECT * FROM csstats.bi_case_tags WHERE channel_id = $1', [channel]],
		['bi_daily', 'SELECT * FROM csstats.bi_daily WHERE channel_id = $1 ORDER BY day', [channel]],
		['inbox_counts', 'SELECT * FROM csstats.inbox_counts($1)', [channel]],
		['approx_percentiles over user_chat_sheet',
			"SELECT assignee_id, csstats.approx_percentiles(waiting_time, '{0.5,0.9}') AS p "
			+ 'FROM csstats.user_chat_sheet($1, $2, $3) GROUP BY 1',
			[channel, '2025-03-01', '2025-04-01']],
		['business_seconds', 'SELECT csstats.business_seconds($1, $2, $3) AS s',
			['2025-03-03 17:00+09', '2025-03-05 10:00+09', channel]],
	];
	for (const [name, sql, args] of queries) {
		const r = await c.query(sql, args);
		check(r.rows.length > 0, `${name}: rows`);
		console.log(`ok: ${name}: ${r.rows.length} rows`);
	}
	// types as node-postgres parses them
	const t = await c.query(
		'SELECT created_at, waiting_time_seconds, tag_count FROM csstats.bi_chats '
		+ 'WHERE channel_id = $1 AND waiting_time_seconds IS NOT NULL LIMIT 1', [channel]);
	check(t.rows[0].created_at instanceof Date, 'timestamptz -> Date');
	check(typeof t.rows[0].waiting_time_seconds === 'number', 'float8 -> number');
	const p = await c.query(
		"SELECT csstats.approx_percentiles(waiting_time_seconds, '{0.5,0.9}') AS p, "
		+ "(array_agg(profile))[1] AS profile FROM csstats.bi_cases WHERE channel_id = $1", [channel]);
	check(Array.isArray(p.rows[0].p) && p.rows[0].p.length === 2 && p.rows[0].p[0] <= p.rows[0].p[1],
		'float8[] -> array');
	check(typeof p.rows[0].profile === 'object', 'jsonb -> object');
	console.log('ok: timestamptz -> Date, float8 -> number, float8[] -> Array, jsonb -> object');

	// the export, every argument a bind parameter
	const e = await c.query(
		'SELECT generated_password, file FROM csstats.export_chats(password => NULL, '
		+ 'generate_password => true, reason => $1, channel_id => $2, since => $3, until => $4)',
		[`drivers suite: node-postgres ${label}`, channel, '2025-03-01 00:00+09', '2025-05-01 00:00+09']);
	const pw = e.rows[0].generated_password;
	const file = e.rows[0].file;
	check(typeof pw === 'string' && pw.length >= 8, 'a generated password');
	check(Buffer.isBuffer(file) && file.length > 1000, 'bytea -> Buffer');
	fs.writeFileSync(path.join(outdir, `node-${label}.xlsx`), file);
	fs.writeFileSync(path.join(outdir, `node-${label}.password`), pw);
	console.log(`ok: export_chats with a generated password (${file.length} bytes)`);

	// a sheet streamed with pg-cursor (one portal, read in batches)
	const args = [channel, '2025-01-01', '2026-01-01'];
	const want = Number((await c.query(
		'SELECT count(*) AS n FROM csstats.user_chat_case_sheet($1, $2, $3)', args)).rows[0].n);
	const cursor = c.query(new Cursor('SELECT * FROM csstats.user_chat_case_sheet($1, $2, $3)', args));
	let got = 0;
	let batches = 0;
	for (;;) {
		const rows = await read(cursor, 50);
		if (rows.length === 0)
			break;
		check(rows.length <= 50, 'a batch holds at most 50 rows');
		check(typeof rows[0].user_chat_case_id === 'string', 'sheet rows');
		got += rows.length;
		batches++;
	}
	await new Promise((resolve) => cursor.close(resolve));
	check(want > 50 && got === want, `pg-cursor read ${got} rows, count(*) is ${want}`);
	console.log(`ok: user_chat_case_sheet streamed with pg-cursor: ${got} rows in ${batches} batches = count(*)`);
	await c.end();
}

main().catch((err) => {
	console.error(`FAILED: ${err.stack || err}`);
	process.exit(1);
});
