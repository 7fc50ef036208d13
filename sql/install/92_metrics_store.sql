/*
 * The metric store (docs/metrics_store.md): chat and case metrics kept for
 * the chats and cases that no longer depend on the clock, so dashboards read
 * rows instead of recomputing every timeline, and views that are exactly the
 * live aggregates at now().
 *
 *   SELECT csstats.enable_metrics_store('ch1');
 *   SELECT * FROM csstats.refresh_metrics();          -- e.g. every minute from pg_cron
 *   SELECT assignee_name, local_day, csstats.approx_percentiles(waiting_time, '{0.5,0.9}')
 *   FROM csstats.case_metrics_current WHERE channel_id = 'ch1' GROUP BY 1, 2;
 *
 * How it stays exact:
 *  - Statement-level triggers (transition tables) on the four timeline tables
 *    append one row per changed chat per statement to metrics_store_log; a
 *    calendar change appends one channel-wide row "every chat whose timeline
 *    reaches from_at"; a TRUNCATE or a time zone change, from -infinity.
 *  - refresh_metrics deletes the channel's log rows first (DELETE ...
 *    RETURNING: exactly the rows it consumes; a row committed later is not
 *    seen by that DELETE and stays for the next refresh), then recomputes
 *    those chats, the chats whose state can change with time alone
 *    (recheck_at: a case closed less than an hour ago, items dated after the
 *    stamp) and the chats it has never seen, with as_of = its stamp.
 *  - A chat row is stored when the chat is closed (or missed) and has no item
 *    after the stamp; a chat's cases are stored when every case is completed
 *    and no item is after the stamp.  The C aggregates read the clock only
 *    through the as_of cut and the completed test (src/core/timeline.c), so
 *    such a row equals the live aggregate at any later instant until the
 *    chat's timeline or calendar changes, which the log records.
 *  - The views take a stored row only when it has no pending log row and its
 *    stamp is not after now(); every other chat of the channel is computed
 *    live.  So they equal the live aggregates at now() between refreshes too
 *    (a backlog only makes them slower).
 *
 * Refreshes of one channel are serialized by a transaction-level advisory
 * lock on the channel; different channels refresh concurrently.  Loading is
 * never blocked: triggers only INSERT into the log, refresh only deletes log
 * rows and writes the store tables.  Channels that did not opt in have no
 * row in metrics_store_channels and their changes are not logged.
 */

-------------------------------------------------------------------------------
-- Tables.  All are dumped like every csstats table: a restored store is as
-- exact as the source's (its log comes along; rows the restore loads into the
-- source tables are logged again, which only costs a recomputation).
-------------------------------------------------------------------------------

CREATE TABLE csstats.metrics_store_channels (
	channel_id text PRIMARY KEY REFERENCES csstats.channels (id) ON DELETE CASCADE,
	enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh_as_of timestamptz,
	last_refresh_duration interval,
	last_refresh_changes bigint,
	last_refresh_chats bigint
);
COMMENT ON TABLE csstats.metrics_store_channels IS
	'channels whose metrics are kept in the store (csstats.enable_metrics_store), with their last refresh';

-- Append-only change log.  chat_id NULL: every chat of the channel whose
-- timeline reaches from_at (calendar edits, TRUNCATE, time zone changes).
CREATE TABLE csstats.metrics_store_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel_id text NOT NULL,
	chat_id text,
	from_at timestamptz,
	logged_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT metrics_store_log_chat_or_from CHECK ((chat_id IS NULL) <> (from_at IS NULL))
);
COMMENT ON TABLE csstats.metrics_store_log IS
	'changed chats not yet refreshed into the metric store (one row per chat per statement)';
CREATE INDEX metrics_store_log_chat_idx ON csstats.metrics_store_log (channel_id, chat_id);

-- One row per chat the last refresh computed: what is stored for it.
-- The store tables have no foreign keys: refresh, the only writer, deletes and
-- inserts whole sets (a per-row RI check or cascade cost more than the
-- metrics); disable_metrics_store and refresh_metrics() remove the rows of
-- channels that left.  The views join the source tables, so a row of a
-- deleted chat or channel is never shown.
CREATE TABLE csstats.metrics_store_chats (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	chat_settled boolean NOT NULL,
	cases_settled boolean NOT NULL,
	recheck_at timestamptz,
	PRIMARY KEY (channel_id, chat_id)
);
COMMENT ON TABLE csstats.metrics_store_chats IS
	'per chat: the stamp of its last computation, its last timeline item, whether its chat row and its cases are stored, and when time alone may change that';
CREATE INDEX metrics_store_chats_recheck_idx ON csstats.metrics_store_chats (channel_id, recheck_at)
	WHERE recheck_at IS NOT NULL;
CREATE INDEX metrics_store_chats_last_item_idx ON csstats.metrics_store_chats (channel_id, last_item_at);

CREATE TABLE csstats.chat_metrics_store (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	LIKE csstats.chat_metrics_result,	-- its columns, in its order
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	PRIMARY KEY (channel_id, chat_id)
);
COMMENT ON TABLE csstats.chat_metrics_store IS
	'chat_metrics_result of the settled chats (closed or missed, no item after the stamp) as of metrics_as_of';

CREATE TABLE csstats.case_metrics_store (
	channel_id text NOT NULL,
	LIKE csstats.case_metrics_result,	-- its columns, in its order (the key's are NOT NULL)
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	PRIMARY KEY (channel_id, user_chat_id, user_chat_case)
);
COMMENT ON TABLE csstats.case_metrics_store IS
	'case_metrics_result of the chats whose cases are all completed (no item after the stamp) as of metrics_as_of; last_item_at is the chat''s';

SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_channels', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_log', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_chats', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_metrics_store', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.case_metrics_store', '');

-------------------------------------------------------------------------------
-- Change capture.  The trigger functions are SECURITY DEFINER so that a
-- loading role needs no grant on the log: they only append the keys of the
-- rows the firing statement changed, for opted-in channels.
-------------------------------------------------------------------------------

-- TG_ARGV[0]: the table's chat id column.  One trigger per event (a trigger
-- with transition tables fires for one event only).
CREATE FUNCTION csstats._metrics_store_log_changes()
	RETURNS trigger
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src text;
BEGIN
	-- nothing opted in: no scan of the transition table at all
	IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT s.channel_id, NULL, '-infinity' FROM csstats.metrics_store_channels s;
		RETURN NULL;
	END IF;
	src := CASE TG_OP
		WHEN 'INSERT' THEN format('SELECT channel_id, %1$I AS chat_id FROM new_rows', TG_ARGV[0])
		WHEN 'DELETE' THEN format('SELECT channel_id, %1$I AS chat_id FROM old_rows', TG_ARGV[0])
		ELSE format('SELECT channel_id, %1$I AS chat_id FROM new_rows UNION SELECT channel_id, %1$I FROM old_rows',
			TG_ARGV[0])
	END;
	EXECUTE format('INSERT INTO csstats.metrics_store_log (channel_id, chat_id)
		SELECT DISTINCT r.channel_id, r.chat_id FROM (%s) r
		WHERE r.channel_id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s)', src);
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION csstats._metrics_store_log_changes() FROM PUBLIC;
COMMENT ON FUNCTION csstats._metrics_store_log_changes() IS
	'internal trigger: logs the chats a statement changed, for channels with a metric store';

-- Calendar edits: operating_hours (valid_from), holidays and special_hours
-- (day) mark the chats whose timeline reaches the earliest changed local
-- date (a day early: the margin costs a few recomputations, never a miss);
-- a channel's time zone change marks all of its chats.
CREATE FUNCTION csstats._metrics_store_calendar_changed()
	RETURNS trigger
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src text;
BEGIN
	IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT s.channel_id, NULL, '-infinity' FROM csstats.metrics_store_channels s;
		RETURN NULL;
	END IF;
	IF TG_TABLE_NAME = 'channels' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT n.id, NULL, '-infinity'
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.timezone IS DISTINCT FROM o.timezone
			AND n.id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s);
		RETURN NULL;
	END IF;
	src := CASE TG_OP
		WHEN 'INSERT' THEN format('SELECT channel_id, %1$I AS d FROM new_rows', TG_ARGV[0])
		WHEN 'DELETE' THEN format('SELECT channel_id, %1$I AS d FROM old_rows', TG_ARGV[0])
		ELSE format('SELECT channel_id, %1$I AS d FROM new_rows UNION ALL SELECT channel_id, %1$I FROM old_rows',
			TG_ARGV[0])
	END;
	EXECUTE format('INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT r.channel_id, NULL,
			(min(r.d)::timestamp AT TIME ZONE min(c.timezone)) - interval ''1 day''
		FROM (%s) r JOIN csstats.channels c ON c.id = r.channel_id
		WHERE r.channel_id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s)
		GROUP BY r.channel_id', src);
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION csstats._metrics_store_calendar_changed() FROM PUBLIC;
COMMENT ON FUNCTION csstats._metrics_store_calendar_changed() IS
	'internal trigger: logs the chats of a metric-store channel a calendar or time zone change may affect';

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.messages
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.messages
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.messages
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.messages
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.chat_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.chat_events
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.chat_events
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.chat_events
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.meets
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.meets
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.meets
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.meets
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.user_chats
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.user_chats
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.user_chats
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.user_chats
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.operating_hours
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.operating_hours
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.operating_hours
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.operating_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.holidays
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.holidays
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.holidays
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.special_hours
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.special_hours
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.special_hours
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.special_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');

CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.channels
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('timezone');

-------------------------------------------------------------------------------
-- Opt-in and refresh
-------------------------------------------------------------------------------

-- The advisory lock of one channel's store (two-key form, first key 'csms').
CREATE FUNCTION csstats._metrics_store_lock(channel_id text, wait boolean)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF wait THEN
		PERFORM pg_advisory_xact_lock(1668509043, hashtext(channel_id));
		RETURN true;
	END IF;
	RETURN pg_try_advisory_xact_lock(1668509043, hashtext(channel_id));
END
$$;
COMMENT ON FUNCTION csstats._metrics_store_lock(text, boolean) IS
	'internal: takes the transaction-level advisory lock of a channel''s metric store (false: busy, when not waiting)';

CREATE FUNCTION csstats.enable_metrics_store(channel_id text)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM csstats.channels c WHERE c.id = enable_metrics_store.channel_id) THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Channels are rows of csstats.channels.';
	END IF;
	PERFORM csstats._metrics_store_lock(channel_id, true);
	INSERT INTO csstats.metrics_store_channels (channel_id) VALUES (enable_metrics_store.channel_id)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	-- leftovers of a deleted channel that had the same id
	PERFORM csstats._metrics_store_purge(channel_id);
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION csstats.enable_metrics_store(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.enable_metrics_store(text) IS
	'opts a channel into the metric store (its changes are logged from now on; the next refresh fills the store); false when it already was';

CREATE FUNCTION csstats.disable_metrics_store(channel_id text)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM csstats._metrics_store_lock(channel_id, true);
	DELETE FROM csstats.metrics_store_channels s WHERE s.channel_id = disable_metrics_store.channel_id;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM csstats._metrics_store_purge(channel_id);
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION csstats.disable_metrics_store(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.disable_metrics_store(text) IS
	'drops a channel''s metric store and change log and stops logging its changes; false when it was not enabled';

-- Everything the store holds for a channel that is not (or no longer) opted in.
CREATE FUNCTION csstats._metrics_store_purge(channel_id text)
	RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM csstats.chat_metrics_store s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.case_metrics_store s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.metrics_store_chats s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.metrics_store_log l WHERE l.channel_id = _metrics_store_purge.channel_id;
END
$$;
COMMENT ON FUNCTION csstats._metrics_store_purge(text) IS
	'internal: deletes the stored rows and log rows of a channel (disable_metrics_store, deleted channels)';

-- One channel: the caller holds its lock.
CREATE FUNCTION csstats._refresh_metrics_channel(channel_id text,
		OUT changes bigint, OUT recomputed_chats bigint, OUT settled_chats bigint,
		OUT stored_cases bigint, OUT as_of timestamptz, OUT duration interval)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ch text := channel_id;
	t0 timestamptz := clock_timestamp();
	stamp timestamptz := now();
	wide_from timestamptz;
BEGIN
	-- left behind by a failed call in this transaction (the caller caught the error)
	IF to_regclass('pg_temp._ms_pending') IS NOT NULL THEN
		DROP TABLE pg_temp._ms_pending;
	END IF;
	IF to_regclass('pg_temp._ms_calc') IS NOT NULL THEN
		DROP TABLE pg_temp._ms_calc;
	END IF;
	CREATE TEMP TABLE _ms_pending (chat_id text PRIMARY KEY) ON COMMIT DROP;

	-- consume the log: exactly the rows this DELETE sees
	WITH consumed AS (
		DELETE FROM csstats.metrics_store_log l WHERE l.channel_id = ch
		RETURNING l.chat_id, l.from_at
	), pending AS (
		INSERT INTO _ms_pending SELECT DISTINCT c.chat_id FROM consumed c WHERE c.chat_id IS NOT NULL
	)
	SELECT count(*), min(c.from_at) INTO changes, wide_from FROM consumed c;

	-- chats time alone can change, chats a calendar edit reaches
	INSERT INTO _ms_pending
	SELECT s.chat_id FROM csstats.metrics_store_chats s
	WHERE s.channel_id = ch AND (s.recheck_at <= stamp OR s.last_item_at >= wide_from)
	ON CONFLICT DO NOTHING;
	-- chats never computed: all of them at the first refresh; later a new chat
	-- is logged by its INSERT, so the scan of every chat id (half a second on
	-- 200,000 chats) is only repeated with a channel-wide log row
	IF wide_from IS NOT NULL OR NOT EXISTS (SELECT FROM csstats.metrics_store_channels s
			WHERE s.channel_id = ch AND s.last_refresh_as_of IS NOT NULL) THEN
		INSERT INTO _ms_pending
		SELECT u.id FROM csstats.user_chats u
		WHERE u.channel_id = ch
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_chats s WHERE s.channel_id = ch AND s.chat_id = u.id)
		ON CONFLICT DO NOTHING;
	END IF;
	ANALYZE pg_temp._ms_pending;

	CREATE TEMP TABLE _ms_calc ON COMMIT DROP AS
	SELECT t.chat_id,
		csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id, t.item_id,
			stamp) AS chat,
		csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id, t.item_id,
			t.value, t.medium_name, t.direction, t.state, t.assignee_id, t.team_id, t.manager_ids,
			t.tags, t.priority, t.profile, stamp) AS cases,
		max(t.at) AS last_at,
		min(t.at) FILTER (WHERE t.at > stamp) AS next_at,
		max(t.state) FILTER (WHERE t.seq = 0) AS chat_state
	FROM csstats._metrics_store_timeline t JOIN _ms_pending d ON d.chat_id = t.chat_id
	WHERE t.channel_id = ch AND t.at IS NOT NULL
	GROUP BY t.channel_id, t.chat_id;

	-- replace what was stored for these chats
	DELETE FROM csstats.metrics_store_chats s USING _ms_pending d
	WHERE s.channel_id = ch AND s.chat_id = d.chat_id;
	DELETE FROM csstats.chat_metrics_store s USING _ms_pending d
	WHERE s.channel_id = ch AND s.chat_id = d.chat_id;
	DELETE FROM csstats.case_metrics_store s USING _ms_pending d
	WHERE s.channel_id = ch AND s.user_chat_id = d.chat_id;

	INSERT INTO csstats.metrics_store_chats
		(channel_id, chat_id, metrics_as_of, last_item_at, chat_settled, cases_settled, recheck_at)
	SELECT ch, c.chat_id, stamp, c.last_at,
		c.next_at IS NULL AND ((c.chat).closed_at IS NOT NULL OR c.chat_state IN ('closed', 'missed')),
		c.next_at IS NULL AND NOT EXISTS (SELECT FROM unnest(c.cases) k
			WHERE k.user_chat_case_state IS DISTINCT FROM 'completed'),
		-- an item dated after the stamp comes into view; a close completes its case an hour later
		least(c.next_at, (SELECT min(k.closed_at) + interval '1 hour' FROM unnest(c.cases) k
			WHERE k.user_chat_case_state IS DISTINCT FROM 'completed'))
	FROM _ms_calc c;
	GET DIAGNOSTICS recomputed_chats = ROW_COUNT;

	INSERT INTO csstats.chat_metrics_store
	SELECT ch, c.chat_id, (c.chat).*, stamp, c.last_at
	FROM _ms_calc c JOIN csstats.metrics_store_chats s ON s.channel_id = ch AND s.chat_id = c.chat_id
	WHERE s.chat_settled;
	GET DIAGNOSTICS settled_chats = ROW_COUNT;

	INSERT INTO csstats.case_metrics_store
	SELECT ch, k.*, stamp, c.last_at
	FROM _ms_calc c JOIN csstats.metrics_store_chats s ON s.channel_id = ch AND s.chat_id = c.chat_id
		CROSS JOIN LATERAL unnest(c.cases) k
	WHERE s.cases_settled;
	GET DIAGNOSTICS stored_cases = ROW_COUNT;

	as_of := stamp;
	duration := clock_timestamp() - t0;
	UPDATE csstats.metrics_store_channels s
	SET last_refresh_as_of = stamp, last_refresh_duration = duration,
		last_refresh_changes = changes, last_refresh_chats = recomputed_chats
	WHERE s.channel_id = ch;
	DROP TABLE pg_temp._ms_pending, pg_temp._ms_calc;
END
$$;
COMMENT ON FUNCTION csstats._refresh_metrics_channel(text) IS
	'internal: refreshes one channel''s metric store (the caller holds the channel''s lock)';

CREATE FUNCTION csstats.refresh_metrics(channel_id text DEFAULT NULL)
	RETURNS TABLE (channel text, status text, changes bigint, recomputed_chats bigint,
		settled_chats bigint, stored_cases bigint, as_of timestamptz, duration interval)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	want text := channel_id;
	ch text;
	r record;
BEGIN
	IF want IS NOT NULL THEN
		IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = want) THEN
			RAISE EXCEPTION 'channel "%" has no metric store', want
				USING ERRCODE = 'invalid_parameter_value',
					HINT = 'Opt the channel in with csstats.enable_metrics_store().';
		END IF;
		PERFORM csstats._metrics_store_lock(want, true);
	END IF;
	FOR ch IN
		SELECT s.channel_id FROM csstats.metrics_store_channels s
		WHERE want IS NULL OR s.channel_id = want ORDER BY s.channel_id
	LOOP
		-- all channels: one that another session is refreshing is skipped, not waited for
		IF want IS NULL AND NOT csstats._metrics_store_lock(ch, false) THEN
			RETURN QUERY SELECT ch, 'busy'::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
				NULL::timestamptz, NULL::interval;
			CONTINUE;
		END IF;
		-- disabled meanwhile
		CONTINUE WHEN NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = ch);
		SELECT * INTO r FROM csstats._refresh_metrics_channel(ch);
		RETURN QUERY SELECT ch, 'refreshed'::text, r.changes, r.recomputed_chats, r.settled_chats,
			r.stored_cases, r.as_of, r.duration;
	END LOOP;
	IF want IS NULL THEN
		-- rows of channels deleted since (csstats.channels cascades to metrics_store_channels only)
		PERFORM csstats._metrics_store_purge(l.channel_id)
		FROM (SELECT DISTINCT x.channel_id FROM csstats.metrics_store_chats x
			  UNION SELECT DISTINCT x.channel_id FROM csstats.metrics_store_log x) l
		WHERE NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = l.channel_id);
	END IF;
END
$$;
REVOKE ALL ON FUNCTION csstats.refresh_metrics(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.refresh_metrics(text) IS
	'brings the metric store of one channel (or of every opted-in channel) up to date; one row per channel: what it did';

-------------------------------------------------------------------------------
-- Views.  All run with the caller's rights (security_invoker): the live part
-- reads the source tables through _metrics_store_timeline, the stored part
-- reads the store tables, so row-level security on either applies.
-- _metrics_store_timeline is csstats.timeline without the WHERE of its meets
-- branch: a UNION ALL branch with a WHERE clause is not flattened, and then a
-- per-chat lookup scans all meets for every chat.  Its users filter
-- at IS NOT NULL (meets that never started) themselves.
-------------------------------------------------------------------------------

CREATE VIEW csstats._metrics_store_timeline WITH (security_invoker = true) AS
	SELECT c.channel_id, c.id AS chat_id, c.created_at AS at, 0::smallint AS seq,
		'chat'::text AS kind, NULL::bigint AS event_id, NULL::text COLLATE "C" AS item_id,
		NULL::text AS value,
		c.medium_name, c.direction, c.state, c.assignee_id, c.team_id, c.manager_ids,
		c.tags, c.priority, c.profile
	FROM csstats.user_chats c
	UNION ALL
	SELECT e.channel_id, e.chat_id, e.at, 1::smallint, e.kind, e.id, NULL, e.value,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.chat_events e
	UNION ALL
	SELECT m.channel_id, m.user_chat_id, m.started_at, 2::smallint, 'meet', NULL,
		m.id COLLATE "C", m.missed_reason,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.meets m
	UNION ALL
	SELECT m.channel_id, m.chat_id, m.created_at, 3::smallint, m.person_type, NULL,
		m.id COLLATE "C", NULL,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.messages m;
COMMENT ON VIEW csstats._metrics_store_timeline IS
	'internal: csstats.timeline read with the caller''s rights, plus meets that never started (at NULL): filter at IS NOT NULL';

-- A stored row is used when its stamp is not after now() and no log row
-- names its chat (or reaches its last item): otherwise the chat is live.
CREATE VIEW csstats.chat_metrics_current WITH (security_invoker = true) AS
	SELECT b.*,
		u.user_id, u.state, u.medium_name, u.direction, u.assignee_id, a.name AS assignee_name,
		u.team_id, tm.name AS team_name, ch.name AS channel_name, ch.timezone,
		(b.created_at AT TIME ZONE ch.timezone)::date AS local_day,
		(b.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day
	FROM (
		SELECT s.channel_id, s.chat_id, s.first_asked_at, s.first_queued_at, s.first_opened_at,
			s.first_replied_at, s.opened_at, s.first_replied_at_after_open, s.created_at,
			s.waiting_time, s.avg_reply_time, s.total_reply_time, s.reply_count, s.resolution_time,
			s.operation_waiting_time, s.operation_avg_reply_time, s.operation_total_reply_time,
			s.operation_reply_count, s.operation_resolution_time, s.closed_at,
			s.metrics_as_of, true AS from_store
		FROM csstats.chat_metrics_store s
		WHERE s.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at)
		UNION ALL
		SELECT u.channel_id, u.id, (m.r).*, now(), false
		FROM csstats.user_chats u
			JOIN csstats.metrics_store_channels e ON e.channel_id = u.channel_id
			CROSS JOIN LATERAL (
				SELECT csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id,
					t.item_id, now()) AS r
				FROM csstats._metrics_store_timeline t
				WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL) m
		WHERE NOT EXISTS (SELECT FROM csstats.chat_metrics_store s
			WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.metrics_as_of <= now()
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at))
	) b
	JOIN csstats.user_chats u ON u.channel_id = b.channel_id AND u.id = b.chat_id
	JOIN csstats.channels ch ON ch.id = b.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = b.channel_id AND a.id = u.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = b.channel_id AND tm.id = u.team_id;
COMMENT ON VIEW csstats.chat_metrics_current IS
	'chat_metrics_result as of now() for every chat of the metric-store channels (stored rows of settled chats, live aggregates for the rest), with names and local days';

CREATE VIEW csstats.case_metrics_current WITH (security_invoker = true) AS
	SELECT b.*,
		a.name AS assignee_name, tm.name AS team_name, ch.name AS channel_name, ch.timezone,
		(b.user_chat_case_created_at AT TIME ZONE ch.timezone)::date AS local_day,
		(b.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day
	FROM (
		SELECT c.channel_id, c.user_chat_id, c.user_chat_case, c.user_chat_case_id,
			c.user_chat_case_created_at, c.user_chat_case_updated_at, c.user_chat_case_state,
			c.user_chat_state, c.team_id, c.assignee_id, c.manager_ids, c.tags, c.priority,
			c.profile, c.first_queued_at, c.first_opened_at, c.first_asked_at, c.first_replied_at,
			c.closed_at, c.waiting_time, c.total_reply_time, c.reply_count, c.avg_reply_time,
			c.resolution_time, c.total_snoozed_time, c.lead_time, c.snoozed_count, c.missed_count,
			c.operation_waiting_time, c.operation_reply_count, c.operation_total_reply_time,
			c.operation_avg_reply_time, c.operation_resolution_time, c.operation_lead_time,
			c.metrics_as_of, true AS from_store
		FROM csstats.case_metrics_store c
		WHERE c.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id = c.user_chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id IS NULL AND c.last_item_at >= l.from_at)
		UNION ALL
		SELECT u.channel_id, k.*, now(), false
		FROM csstats.user_chats u
			JOIN csstats.metrics_store_channels e ON e.channel_id = u.channel_id
			CROSS JOIN LATERAL (
				SELECT csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id,
					t.item_id, t.value, t.medium_name, t.direction, t.state, t.assignee_id, t.team_id,
					t.manager_ids, t.tags, t.priority, t.profile, now()) AS cs
				FROM csstats._metrics_store_timeline t
				WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL) m
			CROSS JOIN LATERAL unnest(m.cs) k
		WHERE NOT EXISTS (SELECT FROM csstats.metrics_store_chats s
			WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.cases_settled
				AND s.metrics_as_of <= now()
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at))
	) b
	JOIN csstats.channels ch ON ch.id = b.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = b.channel_id AND a.id = b.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = b.channel_id AND tm.id = b.team_id;
COMMENT ON VIEW csstats.case_metrics_current IS
	'case_metrics_result as of now() for every case of the metric-store channels (stored rows of completed cases, live aggregates for the rest), with names and local days';

CREATE VIEW csstats.metrics_store_freshness WITH (security_invoker = true) AS
	SELECT e.channel_id, e.enabled_at, e.last_refresh_as_of,
		now() - e.last_refresh_as_of AS age,
		e.last_refresh_duration, e.last_refresh_changes, e.last_refresh_chats,
		(SELECT count(*) FROM csstats.metrics_store_log l WHERE l.channel_id = e.channel_id)
			AS backlog_changes,
		(SELECT count(DISTINCT l.chat_id) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id) AS backlog_chats,
		(SELECT min(l.from_at) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id AND l.chat_id IS NULL) AS backlog_channel_from,
		(SELECT min(l.logged_at) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id) AS oldest_change_at,
		(SELECT count(*) FROM csstats.metrics_store_chats s
			WHERE s.channel_id = e.channel_id AND s.chat_settled) AS stored_chats,
		(SELECT count(*) FROM csstats.case_metrics_store c
			WHERE c.channel_id = e.channel_id) AS stored_cases,
		(SELECT count(*) FROM csstats.metrics_store_chats s
			WHERE s.channel_id = e.channel_id AND s.recheck_at <= now()) AS due_rechecks
	FROM csstats.metrics_store_channels e;
COMMENT ON VIEW csstats.metrics_store_freshness IS
	'per metric-store channel: last refresh (stamp, age, duration, work) and the backlog the next refresh consumes';
