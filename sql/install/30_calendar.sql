--------------------------------------------------------------------------------
-- Operating hours: business_seconds and is_operating (src/calendar.c)
--------------------------------------------------------------------------------

CREATE FUNCTION csstats.business_seconds(since timestamptz, until timestamptz, channel_id text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'csstats_business_seconds'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.business_seconds(timestamptz, timestamptz, text) IS
	'real seconds of [since, until) inside the channel''s operating hours (weekly hours of the version in force, special_hours, holidays, in the channel''s time zone); 0 for reversed or empty spans';

CREATE FUNCTION csstats.is_operating(at timestamptz, channel_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'csstats_is_operating'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.is_operating(timestamptz, text) IS
	'whether the instant is inside the channel''s operating hours (an interval includes its opening and excludes its closing time)';

-- Plain DML sends no cache invalidation: these statement-level triggers make
-- every backend drop its compiled schedules after a change (src/calendar.c).
CREATE FUNCTION csstats._calendar_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'csstats_calendar_changed'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats._calendar_changed() IS
	'internal trigger: invalidates the cached operating-hours schedules in all sessions';

CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.channels
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.operating_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.special_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
