import BackplanCore
import Foundation
import GRDB

/// Backplan's own SQLite database of access statistics (DESIGN §2.3): where every importer writes and
/// every later stage (features, simulator, reports) reads.
///
/// Tables (created by ``StatsStore/migrator``):
/// - `sources(id, path, format, options, sha256 UNIQUE, bytes, imported_at, events, rejected)`
/// - `datasets(id INTEGER PRIMARY KEY, name TEXT UNIQUE, class, size_bytes, created_at, attributes JSON)`
/// - `events(dataset_id, at, seq, op, bytes)`, clustered by `(dataset_id, at, seq)` (WITHOUT ROWID), so a
///   dataset's history is one contiguous range in time order; `op` is 0 = read, 1 = write.
/// - `buckets(dataset_id, start, reads, writes, bytes_read, bytes_written)`, the hourly roll-up.
/// - `rejects(source_id, line, column, message)`, the first rejected lines of each source.
/// - `senders(id, name UNIQUE)` and `sends(sender_id, at, seq)` (WITHOUT ROWID): the owner's own sends, keyed by
///   name so a sender that is no dataset adds none (``sendTimes()``).
///
/// A store is marked with SQLite's `application_id` (``applicationID``) so Backplan refuses to write into a
/// database that is not one of its stores (a message store given as `--db` by mistake, say).
/// See <https://www.sqlite.org/pragma.html#pragma_application_id>.
public struct StatsStore: Sendable {
    /// `PRAGMA application_id` of every stats store: the ASCII bytes "BkPl".
    public static let applicationID: Int32 = 0x426B_506C

    /// How long an operation waits for another process's write transaction on the same store to end.
    public static let busyTimeoutSeconds: TimeInterval = 30

    /// Path of the database file.
    public let path: String
    /// The GRDB connection. Writes are serialized by the queue.
    ///
    /// Internal: SQL on the stats store lives in this module only (DESIGN §1); other modules use the
    /// store's methods (`StatsStore+Queries`, `+Simulation`, `+Sources`, `summary`, `Ingestor`).
    let dbQueue: DatabaseQueue

    /// Opens the store at `path`.
    ///
    /// - Parameter create: when `true`, a missing file is created with the current schema; when `false`,
    ///   a missing file is an ``InputError``.
    /// - Throws: ``InputError`` naming the path when it is a directory, not a SQLite database, corrupt, or a
    ///   SQLite database that is not a Backplan store.
    public static func open(path: String, create: Bool) throws -> StatsStore {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, isDirectory.boolValue {
            throw InputError(file: path, "is a directory, expected a stats store file")
        }
        if !exists && !create {
            throw InputError(file: path, "no such stats store (run 'backplan ingest … --db \(path)' first)")
        }
        if exists {
            // SQLite would block on a FIFO and treat a device as a database; and a command that only reads
            // must not write a schema into a zero-byte file that merely has the right name.
            guard InputFile.isRegularFile(path) else {
                throw InputError(file: path, "is not a regular file (a FIFO, socket or device), expected a stats store file")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size == 0 && !create {
                throw InputError(file: path, "is an empty file, not a stats store (run 'backplan ingest … --db \(path)' to make one)")
            }
        }
        var config = Configuration()
        config.label = "backplan.stats"
        // The importers guarantee referential integrity and bulk-insert millions of rows; per-row foreign key
        // checks would double the cost of every event insert.
        config.foreignKeysEnabled = false
        // Another process writing (an ingest into the same store) holds the lock for its one transaction:
        // wait for it rather than fail at once (https://www.sqlite.org/c3ref/busy_timeout.html).
        config.busyMode = .timeout(StatsStore.busyTimeoutSeconds)
        // Two processes creating one new store at once race through the schema check and the migrations
        // (one can see the other's half-made schema through a stale connection schema cache and fail with
        // "no such table: grdb_migrations"). Each migration is one transaction, so a fresh connection that
        // tries again finds the schema either complete or not begun.
        var attempt = 0
        while true {
            attempt += 1
            let queue: DatabaseQueue
            do {
                queue = try DatabaseQueue(path: path, configuration: config)
            } catch {
                throw StatsStore.inputError(error, path: path)
            }
            let store = StatsStore(path: path, dbQueue: queue)
            do {
                try store.prepareSchema()
                return store
            } catch let error as DatabaseError where attempt < 5 && [.SQLITE_ERROR, .SQLITE_CONSTRAINT].contains(error.resultCode) {
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt))
            } catch let error as DatabaseError {
                throw StatsStore.inputError(error, path: path)
            }
        }
    }

    /// Checks that the file is a Backplan store (or empty) and brings its schema up to date.
    private func prepareSchema() throws {
        do {
            try dbQueue.writeWithoutTransaction { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tableCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                // A store another process is creating right now (or whose creation was killed) has GRDB's
                // migrations table before its first migration commits the application id; its migrations are
                // transactions, so finishing them here is safe (a foreign GRDB database has migrations we do not
                // know, refused just below).
                db.clearSchemaCache()
                let creating = try db.tableExists("grdb_migrations")
                if appID != StatsStore.applicationID {
                    guard appID == 0, tableCount == 0 || creating else {
                        throw InputError(
                            file: path,
                            "is a SQLite database but not a Backplan stats store (application_id \(appID), \(tableCount) schema objects); give a new or existing store path to --db")
                    }
                }
                if try StatsStore.migrator.hasBeenSuperseded(db) {
                    throw InputError(file: path, "was written by a newer Backplan (unknown schema migrations)")
                }
            }
            if try dbQueue.read({ try !StatsStore.migrator.hasCompletedMigrations($0) }) {
                try StatsStore.migrator.migrate(dbQueue)
            }
        } catch let error as InputError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_ERROR, .SQLITE_CONSTRAINT].contains(error.resultCode) {
            throw error  // retried by ``open(path:create:)`` on a fresh connection
        } catch {
            throw StatsStore.inputError(error, path: path)
        }
    }

    /// Turns a SQLite error on a user-given file into an ``InputError`` that names the file.
    static func inputError(_ error: any Error, path: String) -> any Error {
        guard let dbError = error as? DatabaseError else { return error }
        switch dbError.resultCode {
        case .SQLITE_NOTADB:
            return InputError(file: path, "not a SQLite database (\(dbError.message ?? "file is not a database"))")
        case .SQLITE_CORRUPT:
            return InputError(file: path, "corrupt SQLite database (\(dbError.message ?? "malformed"))")
        case .SQLITE_CANTOPEN:
            return InputError(file: path, "cannot open (\(dbError.message ?? "unable to open database file"))")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return InputError(file: path, "not writable (\(dbError.message ?? "read-only")): check the file's and its folder's permissions, or give another --db")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return InputError(file: path, "is locked by another process (an ingest or another writer into the same store) and stayed locked for \(Int(busyTimeoutSeconds)) s; wait for it to finish and run this again")
        case .SQLITE_FULL:
            return InputError(file: path, "disk full while writing; free space and run this again (nothing was changed)")
        default:
            return error
        }
    }
}
