import GRDB

extension StatsStore {
    /// The stats store schema, one GRDB migration per change (never edit a shipped migration: add one).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(StatsStore.applicationID)")
            try db.execute(sql: """
                CREATE TABLE sources (
                    id          INTEGER PRIMARY KEY,
                    path        TEXT    NOT NULL,
                    format      TEXT    NOT NULL,
                    options     TEXT    NOT NULL DEFAULT '',
                    sha256      TEXT    NOT NULL UNIQUE,
                    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
                    imported_at INTEGER NOT NULL,
                    events      INTEGER NOT NULL CHECK (events >= 0),
                    rejected    INTEGER NOT NULL CHECK (rejected >= 0)
                );
                CREATE TABLE datasets (
                    id          INTEGER PRIMARY KEY,
                    name        TEXT    NOT NULL UNIQUE,
                    class       TEXT    NOT NULL DEFAULT 'default',
                    size_bytes  INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
                    created_at  INTEGER,
                    attributes  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes))
                );
                CREATE TABLE events (
                    dataset_id  INTEGER NOT NULL REFERENCES datasets(id),
                    at          INTEGER NOT NULL,
                    seq         INTEGER NOT NULL,
                    op          INTEGER NOT NULL CHECK (op IN (0, 1)),
                    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
                    PRIMARY KEY (dataset_id, at, seq)
                ) WITHOUT ROWID;
                CREATE TABLE buckets (
                    dataset_id    INTEGER NOT NULL REFERENCES datasets(id),
                    start         INTEGER NOT NULL,
                    reads         INTEGER NOT NULL DEFAULT 0,
                    writes        INTEGER NOT NULL DEFAULT 0,
                    bytes_read    INTEGER NOT NULL DEFAULT 0,
                    bytes_written INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (dataset_id, start)
                ) WITHOUT ROWID;
                CREATE TABLE rejects (
                    source_id   INTEGER NOT NULL REFERENCES sources(id),
                    line        INTEGER,
                    "column"    TEXT,
                    message     TEXT    NOT NULL
                );
                """)
        }
        // v2: incremental ingest. A source is identified by what it is (format, options, absolute path), not
        // by its bytes, and records how far it was read, so a grown live store or log adds only what is new.
        // `sha256` stops being UNIQUE: a WAL message store can take new rows while its main file keeps its bytes.
        migrator.registerMigration("v2-source-positions") { db in
            try db.execute(sql: """
                CREATE TABLE sources_v2 (
                    id          INTEGER PRIMARY KEY,
                    path        TEXT    NOT NULL,
                    format      TEXT    NOT NULL,
                    options     TEXT    NOT NULL DEFAULT '',
                    sha256      TEXT    NOT NULL,
                    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
                    imported_at INTEGER NOT NULL,
                    events      INTEGER NOT NULL CHECK (events >= 0),
                    rejected    INTEGER NOT NULL CHECK (rejected >= 0),
                    identity    TEXT,
                    position    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(position)),
                    previous    INTEGER REFERENCES sources_v2(id)
                );
                INSERT INTO sources_v2(id, path, format, options, sha256, bytes, imported_at, events, rejected)
                    SELECT id, path, format, options, sha256, bytes, imported_at, events, rejected FROM sources;
                DROP TABLE sources;
                ALTER TABLE sources_v2 RENAME TO sources;
                CREATE INDEX sources_sha256 ON sources(sha256);
                CREATE INDEX sources_identity ON sources(identity, id);
                ALTER TABLE datasets ADD COLUMN created_by INTEGER;
                """)
        }
        // v3: the owner's own sends. A SNAP log line `SRC DST T` is a write to DST and a send by SRC; a message
        // store keyed by sender records each message as a send of its sender too. Senders are keyed by name, not
        // by dataset id, so a sender that never receives creates no dataset (plans and reports see the same
        // datasets as before) and a send joins its dataset whichever of the two is imported first. `seq` is
        // `source id << 36 | n` like `events.seq`, so removing a source removes its sends. Old stores gain two
        // empty tables: everything they held reads as before.
        migrator.registerMigration("v3-sends") { db in
            try db.execute(sql: """
                CREATE TABLE senders (
                    id          INTEGER PRIMARY KEY,
                    name        TEXT    NOT NULL UNIQUE
                );
                CREATE TABLE sends (
                    sender_id   INTEGER NOT NULL REFERENCES senders(id),
                    at          INTEGER NOT NULL,
                    seq         INTEGER NOT NULL,
                    PRIMARY KEY (sender_id, at, seq)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
