import BackplanCore

extension PolicyResult {
    /// Dollars one policy costs over the replayed window (mean over runs for loss, downtime and restores), by
    /// component; ``components`` says what each bills and what it leaves out. The older aggregate keys stay:
    /// `storage` = live storage + backup storage + early deletion, `operations` = live requests + backup
    /// requests + transitions + monitoring, `retrieval` = live retrieval + restore retrieval.
    ///
    /// ```swift
    /// var c = PolicyResult.Cost()
    /// c.liveStorage = 1.0; c.backupRequests = 0.2; c.loss = 3.0
    /// c.operations   // 0.2
    /// c.total        // 4.2
    /// ```
    public struct Cost: Codable, Sendable, Equatable {
        public var liveStorage = 0.0, liveRequests = 0.0, liveRetrieval = 0.0, monitoring = 0.0, transitions = 0.0
        public var earlyDeletion = 0.0, backupStorage = 0.0, backupRequests = 0.0, restoreRetrieval = 0.0
        public var loss = 0.0, downtime = 0.0

        public init() {}

        public var storage: Double { liveStorage + backupStorage + earlyDeletion }
        public var operations: Double { liveRequests + backupRequests + transitions + monitoring }
        public var retrieval: Double { liveRetrieval + restoreRetrieval }
        /// What the provider bills for live data (storage, requests, retrieval, monitoring, moves).
        public var liveData: Double { liveStorage + liveRequests + liveRetrieval + monitoring + transitions + earlyDeletion }
        public var total: Double { storage + operations + retrieval + loss + downtime }

        /// One component: its JSON key, what it bills and what it leaves out.
        public struct Component: Sendable, Codable, Equatable {
            public var name: String
            public var bills: String
            public var leavesOut: String
        }

        /// The dollars of the component named `name` (a key of ``components``), 0 for any other name.
        public func value(of name: String) -> Double {
            switch name {
            case "liveStorage": liveStorage
            case "liveRequests": liveRequests
            case "liveRetrieval": liveRetrieval
            case "monitoring": monitoring
            case "transitions": transitions
            case "earlyDeletion": earlyDeletion
            case "backupStorage": backupStorage
            case "backupRequests": backupRequests
            case "restoreRetrieval": restoreRetrieval
            case "loss": loss
            case "downtime": downtime
            default: 0
            }
        }

        /// Every component `simulate` bills, in table order, with what it includes and leaves out (the rules
        /// are ``Billing``'s, the one billing model the planner uses too).
        public static let components: [Component] = [
            Component(name: "liveStorage",
                      bills: "live data at its tier per GiB-month of 730 h, at the size it had each day (write bytes so far), objects of the mean write size billed at least the tier's minimum size; auto-tiering: the rate of the access tier reached",
                      leavesOut: "versioning, replication, object tags; sizes shrinking (data is never deleted)"),
            Component(name: "liveRequests",
                      bills: "a GET per read and a PUT per write of live data at its tier's request prices",
                      leavesOut: "LIST, HEAD and DELETE requests; multipart uploads"),
            Component(name: "liveRetrieval",
                      bills: "retrieval per GiB read from a live-data tier with a retrieval fee (none under auto-tiering)",
                      leavesOut: "data transfer out to the internet or other regions"),
            Component(name: "monitoring",
                      bills: "auto-tiering's monitoring fee per 1,000 objects per month, objects of at least its minimum size only",
                      leavesOut: "per-object sizes (objects are the writes at their mean size, so a dataset is tiered whole or not at all)"),
            Component(name: "transitions",
                      bills: "a transition request per object moved when live data or a full backup copy changes tier (re-plans), and the retrieval of a copy moved to a warmer tier",
                      leavesOut: "moves inside auto-tiering (free); the oracle and fixed policies never move data"),
            Component(name: "earlyDeletion",
                      bills: "the minimum-duration remainder of data moved off a tier before its minimum (data moved in at the tier's start counted held since then, data written since half that)",
                      leavesOut: "appended messages (never overwritten: no charge)"),
            Component(name: "backupStorage",
                      bills: "full copies per day at the backup and offline tiers; each increment kept for the retention span, at least the tier's minimum duration, with archive per-object metadata",
                      leavesOut: "restic pack repacking (prune); retention kept past the window is billed in the window"),
            Component(name: "backupRequests",
                      bills: "PUTs per backup per copy, one per 64 MiB part",
                      leavesOut: "restic's index and lock files, LIST requests"),
            Component(name: "restoreRetrieval",
                      bills: "retrieval and GETs of the whole dataset from its backup tier per restore (mean over runs)",
                      leavesOut: "expedited retrieval; egress of the restore"),
            Component(name: "loss",
                      bills: "messages lost (writes not yet backed up at a failure) at the class's loss price (mean over runs)",
                      leavesOut: "no provider charge: it is the class's business price of a lost message"),
            Component(name: "downtime",
                      bills: "restore time (first byte + size / throughput) at the class's downtime price (mean over runs)",
                      leavesOut: "no provider charge: it is the class's business price of an hour down"),
        ]

        public static func += (a: inout Cost, b: Cost) {
            a.liveStorage += b.liveStorage
            a.liveRequests += b.liveRequests
            a.liveRetrieval += b.liveRetrieval
            a.monitoring += b.monitoring
            a.transitions += b.transitions
            a.earlyDeletion += b.earlyDeletion
            a.backupStorage += b.backupStorage
            a.backupRequests += b.backupRequests
            a.restoreRetrieval += b.restoreRetrieval
            a.loss += b.loss
            a.downtime += b.downtime
        }

        enum CodingKeys: String, CodingKey {
            case liveStorage, liveRequests, liveRetrieval, monitoring, transitions, earlyDeletion, backupStorage, backupRequests
            case restoreRetrieval, loss, downtime, storage, operations, retrieval, total
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            liveStorage = try c.decode(Double.self, forKey: .liveStorage)
            liveRequests = try c.decode(Double.self, forKey: .liveRequests)
            liveRetrieval = try c.decode(Double.self, forKey: .liveRetrieval)
            monitoring = try c.decode(Double.self, forKey: .monitoring)
            transitions = try c.decode(Double.self, forKey: .transitions)
            earlyDeletion = try c.decode(Double.self, forKey: .earlyDeletion)
            backupStorage = try c.decode(Double.self, forKey: .backupStorage)
            backupRequests = try c.decode(Double.self, forKey: .backupRequests)
            restoreRetrieval = try c.decode(Double.self, forKey: .restoreRetrieval)
            loss = try c.decode(Double.self, forKey: .loss)
            downtime = try c.decode(Double.self, forKey: .downtime)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(liveStorage, forKey: .liveStorage)
            try c.encode(liveRequests, forKey: .liveRequests)
            try c.encode(liveRetrieval, forKey: .liveRetrieval)
            try c.encode(monitoring, forKey: .monitoring)
            try c.encode(transitions, forKey: .transitions)
            try c.encode(earlyDeletion, forKey: .earlyDeletion)
            try c.encode(backupStorage, forKey: .backupStorage)
            try c.encode(backupRequests, forKey: .backupRequests)
            try c.encode(restoreRetrieval, forKey: .restoreRetrieval)
            try c.encode(loss, forKey: .loss)
            try c.encode(downtime, forKey: .downtime)
            try c.encode(storage, forKey: .storage)
            try c.encode(operations, forKey: .operations)
            try c.encode(retrieval, forKey: .retrieval)
            try c.encode(total, forKey: .total)
        }
    }
}
