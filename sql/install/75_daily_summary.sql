/*
 * The cross-channel summary: per channel and local day (the channel's time
 * zone), the chats created and the median and 90th percentile of their
 * waiting time (user_chat_sheet's waiting_time, seconds; chats without one
 * are counted but not in the percentiles, which are csstats.approx_percentiles:
 * within 1 % relative error).  Every channel of the database the caller may
 * read.  On a csstats_router coordinator the same function runs ON ALL
 * shards in parallel (docs/scale_out.md): a channel lives on one shard, so
 * each (channel, day) row is computed whole on its shard, equal to this.
 */
CREATE FUNCTION csstats.daily_summary(since timestamptz, until timestamptz,
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (channel_id text, day date, chats bigint,
		waiting_p50 double precision, waiting_p90 double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT s.channel_id, s.day, s.chats, s.p[1], s.p[2]
	FROM (SELECT ch.id AS channel_id,
				(u.created_at AT TIME ZONE ch.timezone)::date AS day,
				count(*) AS chats,
				csstats.approx_percentiles(u.waiting_time, ARRAY[0.5, 0.9]::double precision[]) AS p
		  FROM csstats.channels ch
			CROSS JOIN LATERAL csstats.user_chat_sheet(ch.id, daily_summary.since,
				daily_summary.until, '{}'::jsonb, daily_summary.as_of) u
		  GROUP BY 1, 2) s
	ORDER BY s.channel_id, s.day;
END;
COMMENT ON FUNCTION csstats.daily_summary(timestamptz, timestamptz, timestamptz) IS
	'per channel and local day: chats created, waiting time p50 and p90 (seconds), over every channel of the database';
