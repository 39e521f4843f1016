import GRDB
import GRDBSQLite

/// A new SQLite file written once through SQLite's C API: a dataset's export (``MessageStoreExport``), which
/// restic reads at once and the executor deletes after.
///
/// Not a GRDB `DatabaseQueue`: opening one costs about 0.6 ms (its serial dispatch queue, its connection
/// set-up), more than writing a conversation's rows, and a round exports hundreds of datasets while restic
/// derives its key on the other core. No journal and no fsync: a crash loses the file, and the next round
/// exports again.
///
/// ```swift
/// let out = try ScratchDatabase(creating: "/tmp/c1.sqlite")
/// defer { out.close() }
/// try out.execute("BEGIN")
/// try out.execute("CREATE TABLE t(x)")
/// let insert = try out.prepare("INSERT INTO t VALUES (?)")
/// defer { sqlite3_finalize(insert) }
/// try out.execute("COMMIT")
/// ```
final class ScratchDatabase {
    private(set) var handle: OpaquePointer?
    let path: String

    /// Opens the SQLite file `path`, made when missing (an export's is always new: the executor's staging
    /// folder is its own, and a database already there fails the export's first `CREATE TABLE`).
    init(creating path: String) throws {
        self.path = path
        var h: OpaquePointer?
        let rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        handle = h
        guard rc == SQLITE_OK else {
            let message = h.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            close()
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "\(path): \(message)")
        }
        try execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
    }

    deinit { close() }

    /// Runs `sql` (one or more statements, no results read).
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
    }

    /// A prepared statement of `sql`; the caller finalizes it.
    func prepare(_ sql: String) throws -> OpaquePointer {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &s, nil)
        guard rc == SQLITE_OK, let s else { throw error(rc, sql: sql) }
        return s
    }

    /// The single value of the query `sql` as an integer; `nil` when it is NULL or not an integer.
    func integer(_ sql: String) throws -> Int64? {
        let s = try prepare(sql)
        defer { sqlite3_finalize(s) }
        let rc = sqlite3_step(s)
        guard rc == SQLITE_ROW else {
            if rc == SQLITE_DONE { return nil }
            throw error(rc, sql: sql)
        }
        return sqlite3_column_type(s, 0) == SQLITE_INTEGER ? sqlite3_column_int64(s, 0) : nil
    }

    /// An error of this file's connection for result code `rc`.
    func error(_ rc: Int32, sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: "\(path): " + (handle.map { String(cString: sqlite3_errmsg($0)) } ?? ""), sql: sql)
    }

    /// Closes the file (once; later calls do nothing).
    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }
}
