-- A small message store in a Signal-like layout (after Signal Android's database: recipient, thread,
-- message, part, group_receipts; simplified). Times are milliseconds. Attachments live in `part`, and
-- reads are read receipts (status 2 = read, 3 = viewed) instead of a reads table.
-- Try it:  sqlite3 signal.sqlite < datasets/schemas/signal-like.sql
--          backplan ingest signal.sqlite --format message-store --schema datasets/schemas/signal-like.yaml --db s.sqlite
CREATE TABLE recipient (_id INTEGER PRIMARY KEY, e164 TEXT, group_id TEXT);
CREATE TABLE thread (_id INTEGER PRIMARY KEY, date INTEGER NOT NULL, recipient_id INTEGER REFERENCES recipient (_id),
                     archived INTEGER DEFAULT 0);
CREATE TABLE message (_id INTEGER PRIMARY KEY, date_sent INTEGER NOT NULL, date_received INTEGER, thread_id INTEGER,
                      from_recipient_id INTEGER, to_recipient_id INTEGER, type INTEGER, body TEXT);
CREATE TABLE part (_id INTEGER PRIMARY KEY, mid INTEGER REFERENCES message (_id), content_type TEXT, data_size INTEGER);
CREATE TABLE group_receipts (_id INTEGER PRIMARY KEY, mid INTEGER REFERENCES message (_id), address INTEGER,
                             status INTEGER, timestamp INTEGER);
CREATE INDEX message_thread ON message (thread_id, date_sent);

INSERT INTO recipient (_id, e164, group_id) VALUES
  (1, '+15550000001', NULL), (2, '+15550000002', NULL), (3, '+15550000003', NULL), (4, NULL, '__signal_group__a1');
-- Thread 1: a private chat with recipient 2; thread 2: a group; thread 3: a quiet private chat.
INSERT INTO thread (_id, date, recipient_id) VALUES (1, 1767139200000, 2), (2, 1767222000000, 4), (3, 1767224000000, 3);
-- 90 messages: ids 1..90, every 17 minutes, over the three threads (thread 2 twice as busy), bodies 10..59 bytes.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90)
INSERT INTO message (_id, date_sent, date_received, thread_id, from_recipient_id, to_recipient_id, type, body)
SELECT i, 1767225600000 + i * 1020000, 1767225600000 + i * 1020000 + 800,
       CASE i % 4 WHEN 0 THEN 1 WHEN 3 THEN 3 ELSE 2 END, 1 + i % 3, 4, 87, substr(printf('%.60c', 'x'), 1, 10 + i % 50)
FROM n;
-- Every 9th message carries a picture of 120,000 bytes plus 1,000 per id.
WITH RECURSIVE n(i) AS (SELECT 9 UNION ALL SELECT i + 9 FROM n WHERE i + 9 <= 90)
INSERT INTO part (mid, content_type, data_size) SELECT i, 'image/jpeg', 120000 + 1000 * i FROM n;
-- Receipts: delivered (1) and read (2) for the group's messages; only status >= 2 counts as a read.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90)
INSERT INTO group_receipts (mid, address, status, timestamp)
SELECT i, 3, CASE WHEN i % 2 = 0 THEN 2 ELSE 1 END, 1767225600000 + i * 1020000 + 60000 FROM n WHERE i % 4 IN (1, 2);
