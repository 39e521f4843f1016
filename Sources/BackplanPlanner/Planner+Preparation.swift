import BackplanCore
import BackplanPlan
import Foundation

/// Preparing every dataset on all cores: the datasets in name order, priced and pruned chunk by chunk.
extension Planner {
    /// The forecasts in name order, without moving them: element i is `base[order[i]]` (`base[i]` when
    /// `order` is `nil`: already in order).
    struct NameOrdered: Sendable {
        let base: [DatasetForecast]
        let order: [Int32]?

        var count: Int { base.count }

        subscript(i: Int) -> DatasetForecast {
            if let order { return base[Int(order[i])] }
            return base[i]
        }
    }

    /// Positions of `forecasts` in name order (``NameOrder``, the UTF-8 bytes of their names), or `nil` when
    /// they are in that order already.
    ///
    /// - Throws: ``InputError`` when a name appears twice.
    static func nameOrder(_ forecasts: [DatasetForecast]) throws -> [Int32]? {
        try NameOrder.permutation(forecasts, name: \.name) { InputError("dataset id '\($0)' appears twice in the planner's input") }
    }

    /// Prices every dataset and keeps its options that matter (``keep(_:limits:into:hull:)``), on all cores, one
    /// ``OptionBlock`` per chunk of consecutive datasets.
    func prepareAll(_ forecasts: NameOrdered, classes: [ClassInfo]) -> ([Prepared], [OptionBlock]) {
        let n = forecasts.count
        let limits = (model.policy.budget(datasets: 0) != nil, model.policy.backupWindowBytesPerDay != nil)
        let chunks = Parallel.chunkCount(n)
        let tierCount = model.catalog.tiers.count
        var prepared = [Prepared](repeating: Prepared(), count: n)
        var blocks = [OptionBlock](repeating: OptionBlock(), count: chunks)
        prepared.withUnsafeMutableBufferPointer { prepared in
            blocks.withUnsafeMutableBufferPointer { blocks in
                Parallel.forEachChunk(chunks) { chunk in
                    let range = Parallel.chunk(chunk, of: chunks, n)
                    var scratch = Scratch()
                    var block = OptionBlock()
                    // A guess at the options kept (a few per tier at most); the arrays grow past it if need be.
                    let guess = range.count * (tierCount + 4)
                    block.spend.reserveCapacity(guess)
                    block.risk.reserveCapacity(guess)
                    block.interval.reserveCapacity(guess)
                    block.tier.reserveCapacity(guess)
                    if limits.1 { block.bytes.reserveCapacity(guess) }
                    for i in range {
                        switch price(forecasts[i], classes: classes, into: &scratch) {
                        case .failure(let reason):
                            block.failures.append((i, reason))
                        case .success(let p):
                            let contenders = scratch.candidates.withUnsafeBufferPointer {
                                Self.keep(UnsafeBufferPointer(rebasing: $0[..<p.options]), limits: limits, into: &scratch.kept, hull: &scratch.hull)
                            }
                            for k in scratch.kept {
                                let c = scratch.candidates[k]
                                block.spend.append(c.spend)
                                block.risk.append(c.risk)
                                if limits.1 { block.bytes.append(c.bytes) }
                                block.interval.append(c.interval)
                                block.tier.append(UInt16(c.tier))
                            }
                            prepared[i] = Prepared(dataSpend: p.dataSpend, rtoExcluded: p.rtoExcluded, classIndex: Int32(p.classIndex),
                                                   options: Int32(scratch.kept.count), contenders: Int32(contenders),
                                                   dataTier: Int16(p.dataTier), rpoCapped: p.rpoCapped)
                        }
                    }
                    blocks[chunk] = block
                }
            }
        }
        return (prepared, blocks)
    }
}
