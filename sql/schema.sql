-- The input schema refuses rows that violate it, naming the rule, and a
-- refused statement leaves nothing half-applied.
SET client_min_messages = warning;
\set VERBOSITY default

INSERT INTO csstats.channels (id, name, timezone) VALUES ('s1', 'Schema test', 'Asia/Seoul');
INSERT INTO csstats.channels (id, name) VALUES ('s2', 'Defaults');
SELECT id, timezone, chat_url_template FROM csstats.channels WHERE id IN ('s1', 's2') ORDER BY id;

-- time zones PostgreSQL does not know are refused when the channel is inserted
INSERT INTO csstats.channels (id, name, timezone) VALUES ('bad', 'x', 'Mars/Olympus_Mons');
INSERT INTO csstats.channels (id, name, timezone) VALUES ('bad', 'x', 'UTC+3');
INSERT INTO csstats.channels (id, name, timezone) VALUES ('bad', 'x', '');
UPDATE csstats.channels SET timezone = 'Nowhere/Land' WHERE id = 's1';
-- known zones, including 30-minute DST and Etc offsets, are accepted
INSERT INTO csstats.channels (id, name, timezone) VALUES ('lh', 'Lord Howe', 'Australia/Lord_Howe'),
	('etc', 'Etc', 'Etc/GMT-9'), ('ny', 'New York', 'America/New_York');
SELECT count(*) FROM csstats.channels;

-- operating hours: opens_at < closes_at, 24:00 allowed, day of week 0..6
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES ('s1', 1, '09:00', '24:00');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES ('s1', 2, '18:00', '09:00');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES ('s1', 2, '09:00', '09:00');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES ('s1', 7, '09:00', '18:00');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES ('nochannel', 1, '09:00', '18:00');
INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at) VALUES ('s1', '2025-12-24', '15:00', '10:00');
SELECT channel_id, valid_from, day_of_week, opens_at, closes_at FROM csstats.operating_hours;

-- a chat and its history
INSERT INTO csstats.user_chats (channel_id, id, state, created_at) VALUES ('s1', 'c1', 'open', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, created_at) VALUES ('s1', 'c2', 'pending', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, created_at) VALUES ('s1', 'c2', 'open', 'fax', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, priority, created_at) VALUES ('s1', 'c2', 'open', 'urgent', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, tags, created_at)
	VALUES ('s1', 'c2', 'open', '{a,b,c,d,e,f,g,h,i}', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, profile, created_at) VALUES ('s1', 'c2', 'open', '[1,2]', '2025-03-03 09:00+09');
INSERT INTO csstats.user_chats (channel_id, id, state, created_at) VALUES ('s1', 'c2', 'open', NULL);

INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES ('s1', 'm1', 'c1', 'user', '2025-03-03 09:01+09');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES ('s1', 'm2', 'c1', 'customer', '2025-03-03 09:01+09');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES ('s1', 'm2', 'nochat', 'user', '2025-03-03 09:01+09');
-- the same chat id in another channel is another chat
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES ('s2', 'm2', 'c1', 'user', '2025-03-03 09:01+09');

INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'opened');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'reopened');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'tag_added', NULL);
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'priority_changed', 'urgent');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'profile_changed', 'not json');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'profile_changed', '[1]');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES ('s1', 'c1', '2025-03-03 09:00+09', 'profile_changed', '{"csat": 5, "csatComment": null}');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES ('s1', 'ghost', '2025-03-03 09:00+09', 'opened');

INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, missed_reason) VALUES ('s1', 'mt1', 'c1', 'call', 'notInOperation');
INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, missed_reason) VALUES ('s1', 'mt2', 'c1', 'call', 'busy');
INSERT INTO csstats.meets (channel_id, id, user_chat_id, type) VALUES ('s1', 'mt2', 'c1', 'video');
INSERT INTO csstats.managers (channel_id, id, role) VALUES ('s1', 'm1', 'admin');
INSERT INTO csstats.managers (channel_id, id, default_user_chat_watch) VALUES ('s1', 'm1', 'some');
INSERT INTO csstats.marketing_messages (channel_id, id, type) VALUES ('s1', 'mk1', 'newsletter');
INSERT INTO csstats.workflow_runs (channel_id, chat_id, workflow_id, cause_of_end) VALUES ('s1', 'c1', 'w1', 'crashed');
INSERT INTO csstats.users (channel_id, id, profile) VALUES ('s1', 'u1', '"x"');

-- a multi-row statement with one bad row applies none of its rows
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('s1', 'm10', 'c1', 'user', '2025-03-03 09:02+09'),
	('s1', 'm11', 'c1', 'manager', '2025-03-03 09:03+09'),
	('s1', 'm12', 'c1', 'robot', '2025-03-03 09:04+09');
SELECT channel_id, id, chat_id, person_type FROM csstats.messages ORDER BY channel_id, id;
SELECT chat_id, kind, value FROM csstats.chat_events ORDER BY id;

-- deleting a chat removes its history with it
DELETE FROM csstats.user_chats WHERE channel_id = 's1' AND id = 'c1';
SELECT (SELECT count(*) FROM csstats.messages WHERE channel_id = 's1') AS messages,
	(SELECT count(*) FROM csstats.chat_events WHERE channel_id = 's1') AS events;

DELETE FROM csstats.channels WHERE id IN ('s1', 's2', 'lh', 'etc', 'ny');
