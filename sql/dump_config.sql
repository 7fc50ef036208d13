-- Every table of the extension is registered with pg_extension_config_dump,
-- so pg_dump backs up its data (test/suites/15_dump_restore.sh dumps and
-- restores for real).
SELECT c.relname,
	c.oid = ANY (e.extconfig) AS dumped
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN pg_extension e
WHERE e.extname = 'csstats' AND n.nspname = 'csstats' AND c.relkind IN ('r', 'p', 'S')
ORDER BY c.relkind, c.relname;
