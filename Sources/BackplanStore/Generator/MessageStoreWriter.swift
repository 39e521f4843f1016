import BackplanCore
import GRDB
import GRDBSQLite

// Internal machinery of the generator, nested in `MessageStoreGenerator` to keep BackplanStore's
// namespace free for the importers.
extension MessageStoreGenerator {
    /// The message-store schema of DESIGN §2.1, exactly as importers expect it.
    enum MessageStoreSchema {
        static let create = """
            CREATE TABLE conversations(id TEXT PRIMARY KEY, kind TEXT, created_at INTEGER, class TEXT);
            CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, sent_at INTEGER, \
            size_bytes INTEGER, attachment_bytes INTEGER);
            CREATE TABLE reads(conversation_id TEXT, reader TEXT, read_at INTEGER, bytes INTEGER);
            """
        static let messagesIndex = "CREATE INDEX messages_by_conversation ON messages(conversation_id, sent_at)"
    }

    /// Identifiers as fixed-width ASCII: a one-letter prefix and a zero-padded number (`c000042`, `u0000137`),
    /// so that ids sort in numeric order and formatting needs no allocation.
    struct FixedWidthID {
        let prefix: UInt8
        let digits: Int
        var length: Int { digits + 1 }

        /// Digits for numbers up to `largest`, at least `minimumDigits`.
        init(prefix: Character, largest: Int, minimumDigits: Int) {
            self.prefix = prefix.asciiValue ?? UInt8(ascii: "x")
            digits = max(minimumDigits, String(max(0, largest)).count)
        }

        /// Writes the id of `value` into `buffer` (at least `length` bytes).
        @inline(__always)
        func write(_ value: Int, into buffer: UnsafeMutablePointer<UInt8>) {
            buffer[0] = prefix
            var rest = value
            var position = digits
            while position > 0 {
                buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                rest /= 10
                position -= 1
            }
        }

        func string(_ value: Int) -> String {
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
            defer { bytes.deallocate() }
            write(value, into: bytes)
            return String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
    }

    /// Participants are encoded in a `UInt32`: user ids as they are, mail correspondents with the top bit set.
    enum Participant {
        static let correspondentFlag: UInt32 = 0x8000_0000
    }

    /// Inserts rows through prepared statements, binding with the SQLite C API: GRDB opens the connection,
    /// runs the schema and owns the statements; the hot path binds integers and static text buffers
    /// directly (https://www.sqlite.org/c3ref/bind_blob.html) instead of building `StatementArguments`.
    ///
    /// Rows are buffered and inserted `batchRows` at a time by one multi-row `INSERT … VALUES (…), (…)`,
    /// which roughly halves SQLite's per-row cost (one statement execution per batch). Call `finish()`
    /// before committing. Use only inside the `Database` access that created it.
    final class MessageStoreWriter {
        static let batchRows = 64
        /// Bytes reserved per identifier in the text buffer (ids are at most 1 + 10 characters).
        private static let idStride = 32

        private struct MessageRow {
            var id: Int64
            var conversation: Int
            var sender: UInt32
            var sentAt: Int64
            var sizeBytes: Int64
            var attachmentBytes: Int64
        }

        private struct ReadRow {
            var conversation: Int
            var reader: UInt32
            var readAt: Int64
            var bytes: Int64
        }

        private let connection: OpaquePointer
        private let conversationStatement: Statement
        private let messageBatch: Statement
        private let messageSingle: Statement
        private let readBatch: Statement
        private let readSingle: Statement
        private let conversationID: FixedWidthID
        private let userID: FixedWidthID
        private let correspondentID: FixedWidthID
        /// Two identifiers per buffered row; bound as SQLITE_STATIC, so it must outlive each step.
        private let textBuffer: UnsafeMutablePointer<UInt8>
        private var messageRows: [MessageRow] = []
        private var readRows: [ReadRow] = []

        init(_ db: Database, conversations: Int, users: Int, correspondents: Int) throws {
            guard let connection = db.sqliteConnection else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "database connection is closed")
            }
            self.connection = connection
            func values(_ columns: Int, rows: Int) -> String {
                let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
                return Array(repeating: row, count: rows).joined(separator: ", ")
            }
            let messagesInsert = "INSERT INTO messages(id, conversation_id, sender, sent_at, size_bytes, attachment_bytes) VALUES "
            let readsInsert = "INSERT INTO reads(conversation_id, reader, read_at, bytes) VALUES "
            conversationStatement = try db.makeStatement(
                sql: "INSERT INTO conversations(id, kind, created_at, class) VALUES (?, ?, ?, ?)")
            messageBatch = try db.makeStatement(sql: messagesInsert + values(6, rows: Self.batchRows))
            messageSingle = try db.makeStatement(sql: messagesInsert + values(6, rows: 1))
            readBatch = try db.makeStatement(sql: readsInsert + values(4, rows: Self.batchRows))
            readSingle = try db.makeStatement(sql: readsInsert + values(4, rows: 1))
            conversationID = FixedWidthID(prefix: "c", largest: conversations - 1, minimumDigits: 6)
            userID = FixedWidthID(prefix: "u", largest: users, minimumDigits: 6)
            correspondentID = FixedWidthID(prefix: "x", largest: correspondents, minimumDigits: 6)
            textBuffer = .allocate(capacity: Self.batchRows * 2 * Self.idStride)
            messageRows.reserveCapacity(Self.batchRows)
            readRows.reserveCapacity(Self.batchRows)
        }

        deinit {
            textBuffer.deallocate()
        }

        func conversation(index: Int, kind: String, createdAt: Int64, className: String) throws {
            try conversationStatement.execute(arguments: [conversationID.string(index), kind, createdAt, className])
        }

        @inline(__always)
        func message(
            id: Int64, conversation: Int, sender: UInt32, sentAt: Int64, sizeBytes: Int64, attachmentBytes: Int64
        ) throws {
            messageRows.append(MessageRow(
                id: id, conversation: conversation, sender: sender, sentAt: sentAt, sizeBytes: sizeBytes,
                attachmentBytes: attachmentBytes))
            if messageRows.count == Self.batchRows {
                try insertMessages(messageBatch.sqliteStatement)
            }
        }

        @inline(__always)
        func read(conversation: Int, reader: UInt32, readAt: Int64, bytes: Int64) throws {
            readRows.append(ReadRow(conversation: conversation, reader: reader, readAt: readAt, bytes: bytes))
            if readRows.count == Self.batchRows {
                try insertReads(readBatch.sqliteStatement)
            }
        }

        /// Inserts the rows still buffered, one statement each.
        func finish() throws {
            let messages = messageRows
            messageRows.removeAll(keepingCapacity: true)
            for row in messages {
                messageRows.append(row)
                try insertMessages(messageSingle.sqliteStatement)
            }
            let reads = readRows
            readRows.removeAll(keepingCapacity: true)
            for row in reads {
                readRows.append(row)
                try insertReads(readSingle.sqliteStatement)
            }
        }

        /// Binds every buffered message to `statement` (which has exactly that many rows) and runs it.
        private func insertMessages(_ statement: OpaquePointer) throws {
            for (r, row) in messageRows.enumerated() {
                let base = Int32(r * 6)
                let text = textBuffer + r * 2 * Self.idStride
                sqlite3_bind_int64(statement, base + 1, row.id)
                bindConversation(statement, base + 2, row.conversation, text)
                bindParticipant(statement, base + 3, row.sender, text + Self.idStride)
                sqlite3_bind_int64(statement, base + 4, row.sentAt)
                sqlite3_bind_int64(statement, base + 5, row.sizeBytes)
                sqlite3_bind_int64(statement, base + 6, row.attachmentBytes)
            }
            messageRows.removeAll(keepingCapacity: true)
            try step(statement)
        }

        private func insertReads(_ statement: OpaquePointer) throws {
            for (r, row) in readRows.enumerated() {
                let base = Int32(r * 4)
                let text = textBuffer + r * 2 * Self.idStride
                bindConversation(statement, base + 1, row.conversation, text)
                bindParticipant(statement, base + 2, row.reader, text + Self.idStride)
                sqlite3_bind_int64(statement, base + 3, row.readAt)
                sqlite3_bind_int64(statement, base + 4, row.bytes)
            }
            readRows.removeAll(keepingCapacity: true)
            try step(statement)
        }

        /// Text bound as SQLITE_STATIC (a nil destructor): `buffer` is not rewritten before the step.
        @inline(__always)
        private func bindConversation(
            _ statement: OpaquePointer, _ column: Int32, _ index: Int, _ buffer: UnsafeMutablePointer<UInt8>
        ) {
            conversationID.write(index, into: buffer)
            sqlite3_bind_text(statement, column, buffer, Int32(conversationID.length), nil)
        }

        @inline(__always)
        private func bindParticipant(
            _ statement: OpaquePointer, _ column: Int32, _ participant: UInt32, _ buffer: UnsafeMutablePointer<UInt8>
        ) {
            let isUser = participant & Participant.correspondentFlag == 0
            let format = isUser ? userID : correspondentID
            format.write(Int(participant & ~Participant.correspondentFlag), into: buffer)
            sqlite3_bind_text(statement, column, buffer, Int32(format.length), nil)
        }

        private func step(_ statement: OpaquePointer) throws {
            let code = sqlite3_step(statement)
            guard code == SQLITE_DONE else {
                let error = DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                    sql: sqlite3_sql(statement).map { String(cString: $0) })
                sqlite3_reset(statement)
                throw error
            }
            sqlite3_reset(statement)
        }
    }
}
