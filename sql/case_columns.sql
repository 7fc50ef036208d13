-- The metric result column lists have two public orders each: the result
-- type's (csstats.chat_metrics_result, csstats.case_metrics_result: the
-- aggregates') and the sheet's (user_chat_sheet, user_chat_case_sheet: the
-- seeds' download order).  Everything else derives from the type (the metric
-- store tables are created LIKE it, the *_current views select the store's
-- columns).  This test fails when the lists drift apart: a metric added to a
-- type but not to its sheet (or the reverse), a type changed on one side, or a
-- store table or view out of step with its type.

-- a type's attributes, in order
CREATE FUNCTION pg_temp.type_cols(t regtype)
RETURNS TABLE (n int, col name, typ text) LANGUAGE sql AS $$
	SELECT a.attnum::int, a.attname, format_type(a.atttypid, a.atttypmod)
	FROM pg_attribute a JOIN pg_type ty ON ty.typrelid = a.attrelid
	WHERE ty.oid = t AND a.attnum > 0 AND NOT a.attisdropped
$$;
-- a set-returning function's output columns, in order
CREATE FUNCTION pg_temp.sheet_cols(f regprocedure)
RETURNS TABLE (n int, col name, typ text) LANGUAGE sql AS $$
	SELECT (row_number() OVER (ORDER BY x.i))::int, x.nm, format_type(x.ty, NULL)
	FROM pg_proc p,
		unnest(p.proargnames, p.proallargtypes, p.proargmodes) WITH ORDINALITY AS x(nm, ty, md, i)
	WHERE p.oid = f AND x.md = 't'
$$;
-- a table's or view's columns, in order
CREATE FUNCTION pg_temp.rel_cols(r regclass)
RETURNS TABLE (n int, col name, typ text) LANGUAGE sql AS $$
	SELECT a.attnum::int, a.attname, format_type(a.atttypid, a.atttypmod)
	FROM pg_attribute a
	WHERE a.attrelid = r AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- 1. Type vs sheet as sets (name and type).  Expected: no row.
SELECT 'case: only in the type' AS drift, t.col, t.typ
FROM pg_temp.type_cols('csstats.case_metrics_result') t
WHERE NOT EXISTS (SELECT FROM pg_temp.sheet_cols(
	'csstats.user_chat_case_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
	WHERE s.col = t.col AND s.typ = t.typ)
UNION ALL
SELECT 'chat: only in the type', t.col, t.typ
FROM pg_temp.type_cols('csstats.chat_metrics_result') t
WHERE NOT EXISTS (SELECT FROM pg_temp.sheet_cols(
	'csstats.user_chat_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
	WHERE s.col = t.col AND s.typ = t.typ)
ORDER BY 1, 2;

-- The sheets' other columns come from the chat row and the name tables, not
-- from the aggregates: pinned here, so a metric added to a sheet only (or a
-- type attribute renamed) shows up as a new line.
SELECT 'case sheet' AS sheet, string_agg(s.col, ', ' ORDER BY s.n) AS not_in_the_type
FROM pg_temp.sheet_cols('csstats.user_chat_case_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
WHERE s.col NOT IN (SELECT col FROM pg_temp.type_cols('csstats.case_metrics_result'))
UNION ALL
SELECT 'chat sheet', string_agg(s.col, ', ' ORDER BY s.n)
FROM pg_temp.sheet_cols('csstats.user_chat_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
WHERE s.col NOT IN (SELECT col FROM pg_temp.type_cols('csstats.chat_metrics_result'));

-- The orders: the chat sheet keeps the type's order, the case sheet the
-- seed's (a different one, by design).
SELECT 'chat' AS list, array_agg(s.col ORDER BY s.n) = (SELECT array_agg(col ORDER BY n)
		FROM pg_temp.type_cols('csstats.chat_metrics_result')) AS sheet_in_type_order
FROM pg_temp.sheet_cols('csstats.user_chat_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
WHERE s.col IN (SELECT col FROM pg_temp.type_cols('csstats.chat_metrics_result'))
UNION ALL
SELECT 'case', array_agg(s.col ORDER BY s.n) = (SELECT array_agg(col ORDER BY n)
		FROM pg_temp.type_cols('csstats.case_metrics_result'))
FROM pg_temp.sheet_cols('csstats.user_chat_case_sheet(text,timestamptz,timestamptz,jsonb,timestamptz)') s
WHERE s.col IN (SELECT col FROM pg_temp.type_cols('csstats.case_metrics_result'));

-- 2. The metric store tables and the *_current views: the type's attributes,
-- in its order and with its types, between their own key and bookkeeping
-- columns.  Expected: every line true.
WITH lists(rel, typ, keys) AS (VALUES
	('csstats.chat_metrics_store'::regclass, 'csstats.chat_metrics_result'::regtype,
		ARRAY['channel_id', 'chat_id']::name[]),
	('csstats.chat_metrics_current', 'csstats.chat_metrics_result', ARRAY['channel_id', 'chat_id']),
	('csstats.case_metrics_store', 'csstats.case_metrics_result', ARRAY['channel_id']),
	('csstats.case_metrics_current', 'csstats.case_metrics_result', ARRAY['channel_id']))
SELECT l.rel,
	(SELECT array_agg(r.col || ' ' || r.typ ORDER BY r.n) FROM pg_temp.rel_cols(l.rel) r
		WHERE r.n > cardinality(l.keys)
			AND r.n <= cardinality(l.keys) + (SELECT count(*) FROM pg_temp.type_cols(l.typ)))
	= (SELECT array_agg(t.col || ' ' || t.typ ORDER BY t.n) FROM pg_temp.type_cols(l.typ) t)
		AS type_columns_in_order,
	(SELECT array_agg(r.col ORDER BY r.n) FROM pg_temp.rel_cols(l.rel) r
		WHERE r.n <= cardinality(l.keys)) = l.keys AS keys_first
FROM lists l
ORDER BY l.rel::text;

-- 3. The sheets' values are the aggregates': every metric column of a sheet
-- row equals the same-named attribute of the aggregate's result for it.
SELECT count(*) > 0 AS generated FROM csstats.generate_demo('cc', 40, seed => 7);
WITH sheet AS (
	SELECT to_jsonb(s) AS j
	FROM csstats.user_chat_case_sheet('cc', NULL, NULL, '{}', '2025-07-01') s),
agg AS (
	SELECT to_jsonb(k) AS j
	FROM (SELECT csstats.case_metrics(t, '2025-07-01') AS cs
		FROM csstats.timeline t WHERE t.channel_id = 'cc'
		GROUP BY t.channel_id, t.chat_id) m, unnest(m.cs) k)
SELECT (SELECT count(*) FROM agg) AS cases, count(*) AS sheet_rows,
	count(*) FILTER (WHERE NOT EXISTS (
		SELECT FROM agg a
		WHERE a.j = (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(s.j) e
			WHERE e.key IN (SELECT col FROM pg_temp.type_cols('csstats.case_metrics_result')))))
		AS rows_differing
FROM sheet s;
WITH sheet AS (
	SELECT s.id, to_jsonb(s) AS j
	FROM csstats.user_chat_sheet('cc', NULL, NULL, '{}', '2025-07-01') s),
agg AS (
	SELECT t.chat_id, to_jsonb(csstats.chat_metrics(t, '2025-07-01')) AS j
	FROM csstats.timeline t WHERE t.channel_id = 'cc'
	GROUP BY t.channel_id, t.chat_id)
SELECT (SELECT count(*) FROM agg) AS chats, count(*) AS sheet_rows,
	count(*) FILTER (WHERE a.j IS DISTINCT FROM (SELECT jsonb_object_agg(e.key, e.value)
		FROM jsonb_each(s.j) e
		WHERE e.key IN (SELECT col FROM pg_temp.type_cols('csstats.chat_metrics_result'))))
		AS rows_differing
FROM sheet s LEFT JOIN agg a ON a.chat_id = s.id;
