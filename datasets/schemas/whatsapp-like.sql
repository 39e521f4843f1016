-- A small message store in a WhatsApp-like layout (after the msgstore.db of WhatsApp for Android: jid, chat,
-- message, message_media, receipt_user; simplified). Times are milliseconds; a message is the user's own when
-- from_me = 1; media sizes live in message_media; reads are receipts with a read_timestamp.
-- Try it:  sqlite3 wa.sqlite < datasets/schemas/whatsapp-like.sql
--          backplan ingest wa.sqlite --format message-store --schema datasets/schemas/whatsapp-like.yaml --db s.sqlite
CREATE TABLE jid (_id INTEGER PRIMARY KEY, user TEXT, server TEXT, raw_string TEXT UNIQUE);
CREATE TABLE chat (_id INTEGER PRIMARY KEY, jid_row_id INTEGER UNIQUE REFERENCES jid (_id), subject TEXT,
                   created_timestamp INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER REFERENCES chat (_id),
                      from_me INTEGER NOT NULL, key_id TEXT, sender_jid_row_id INTEGER, timestamp INTEGER,
                      text_data TEXT, message_type INTEGER);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY REFERENCES message (_id), file_size INTEGER,
                            mime_type TEXT);
CREATE TABLE receipt_user (_id INTEGER PRIMARY KEY AUTOINCREMENT, message_row_id INTEGER REFERENCES message (_id),
                           receipt_user_jid_row_id INTEGER, receipt_timestamp INTEGER, read_timestamp INTEGER,
                           played_timestamp INTEGER);

INSERT INTO jid (_id, user, server, raw_string) VALUES
  (1, '15550000001', 's.whatsapp.net', '15550000001@s.whatsapp.net'),
  (2, '15550000002', 's.whatsapp.net', '15550000002@s.whatsapp.net'),
  (3, '120363000000000001', 'g.us', '120363000000000001@g.us');
INSERT INTO chat (_id, jid_row_id, subject, created_timestamp) VALUES
  (10, 2, NULL, 1767225600000), (11, 3, 'Family', 1767225600000);
-- 60 messages, every 23 minutes; every third is the user's own; the group chat (11) gets two of three.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, text_data, message_type)
SELECT CASE WHEN i % 3 = 0 THEN 10 ELSE 11 END, CASE WHEN i % 3 = 1 THEN 1 ELSE 0 END, printf('3EB0%04d', i),
       CASE WHEN i % 3 = 1 THEN 0 ELSE 1 + i % 2 END, 1767225600000 + i * 1380000,
       substr(printf('%.80c', 'y'), 1, 5 + i), 0
FROM n;
-- Voice notes and photos on every 7th message.
WITH RECURSIVE n(i) AS (SELECT 7 UNION ALL SELECT i + 7 FROM n WHERE i + 7 <= 60)
INSERT INTO message_media (message_row_id, file_size, mime_type) SELECT i, 40000 + 500 * i, 'audio/ogg' FROM n;
-- Receipts on the user's own messages: delivered to everyone, read by some.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 3 FROM n WHERE i + 3 <= 60)
INSERT INTO receipt_user (message_row_id, receipt_user_jid_row_id, receipt_timestamp, read_timestamp)
SELECT i, 2, 1767225600000 + i * 1380000 + 2000, CASE WHEN i % 2 = 0 THEN 1767225600000 + i * 1380000 + 90000 ELSE 0 END
FROM n;
