/*
 * generate_proxies.sql: writes the "proxied read functions" section of
 * csstats_router--0.1.0.sql from the catalog of a database with the csstats
 * extension (a developer tool; the test suite checks that the coordinator's
 * public signatures equal a shard's):
 *
 *     psql -X -At -d DB_WITH_CSSTATS -f router/generate_proxies.sql
 *
 * For each read function F(channel_id, ...) three layers, because PL/pgSQL
 * cannot take an argument and a result column of the same name (channel_id):
 *   csstats._router_px_F   PL/Proxy (always VOLATILE): RUN ON the channel's partition,
 *                          TARGET csstats.F
 *   csstats._router_F      PL/pgSQL: turns PL/Proxy's errors into csstats' own
 *                          (csstats._router_rethrow)
 *   csstats.F              SQL, SECURITY DEFINER: the public signature
 */
WITH f AS (
	SELECT p.oid, p.proname AS name, p.proretset AS retset, p.proisstrict AS strict,
		CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END AS vol,
		pg_get_function_arguments(p.oid) AS args,
		pg_get_function_identity_arguments(p.oid) AS ident,
		pg_get_function_result(p.oid) AS result,
		p.pronargs AS n,
		(SELECT string_agg('p_' || a.n || ' ' || format_type(t, NULL), ', ' ORDER BY a.n)
		 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)) AS pargs,
		(SELECT string_agg(format_type(t, NULL), ', ' ORDER BY a.n)
		 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)) AS types,
		(SELECT string_agg('p_' || a.n, ', ' ORDER BY a.n)
		 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)) AS pnames,
		(SELECT string_agg('$' || a.n, ', ' ORDER BY a.n)
		 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)) AS dollars,
		array_position(p.proargnames, 'channel_id') AS ch
	FROM pg_proc p
	WHERE p.pronamespace = 'csstats'::regnamespace AND p.prokind = 'f'
		AND ((p.proname LIKE '%\_sheet%' AND p.proname NOT LIKE '\_%' AND p.proname NOT LIKE 'sheet\_%')
			OR p.proname IN ('business_seconds', 'is_operating', 'inbox_counts'))
)
SELECT format($f$
-- %1$s
CREATE FUNCTION csstats._router_px_%1$s(%2$s)
	RETURNS %3$s
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_%5$s);
	TARGET csstats.%1$s;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_%1$s(%6$s) FROM PUBLIC;

CREATE FUNCTION csstats._router_%1$s(%2$s)
	RETURNS %3$s
	LANGUAGE plpgsql %4$s
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	%7$s
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_%5$s);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_%1$s(%6$s) FROM PUBLIC;

CREATE FUNCTION csstats.%1$s(%8$s)
	RETURNS %3$s
	LANGUAGE sql %4$s%9$s SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT %10$s csstats._router_%1$s(%11$s) $$;
REVOKE ALL ON FUNCTION csstats.%1$s(%6$s) FROM PUBLIC;
COMMENT ON FUNCTION csstats.%1$s(%6$s) IS 'csstats.%1$s on the shard holding the channel (csstats_router)';$f$,
	f.name, f.pargs, f.result, f.vol, f.ch, f.types,
	CASE WHEN f.retset
		THEN format('RETURN QUERY SELECT * FROM csstats._router_px_%s(%s);', f.name, f.pnames)
		ELSE format('RETURN csstats._router_px_%s(%s);', f.name, f.pnames) END,
	f.args, CASE WHEN f.strict THEN ' STRICT' ELSE '' END,
	CASE WHEN f.retset THEN '* FROM' ELSE '' END, f.dollars)
FROM f ORDER BY f.name;
