-- Creates the extension for the whole regression run (pg_regress creates the
-- database csstats_regression first).
SET client_min_messages = warning;
CREATE EXTENSION csstats;
RESET client_min_messages;
SELECT extname, extversion, extrelocatable, nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'csstats';
-- not trusted: only a superuser may create it
SELECT trusted FROM pg_available_extension_versions WHERE name = 'csstats';
