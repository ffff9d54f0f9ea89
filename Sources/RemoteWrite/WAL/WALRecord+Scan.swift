/// The one walk over a segment's records: start-up repair (`WAL.repairTail`), loss reports
/// (`WAL.stats`) and a reader rebuilding its series table (`WALReader.loadSeries`) all see
/// the same records, skip the same corrupt stretches and stop at the same torn tail.
extension WALRecord {
    /// What `scan` finds, in order.
    enum ScanItem {
        /// A valid record (length and CRC match): its payload and where its header starts.
        case record(payload: UnsafeRawBufferPointer, offset: Int)
        /// Corrupt or torn bytes `from..<to` followed by a valid record at `to`: skipped.
        case skipped(from: Int, to: Int)
    }

    /// Walks the records of `buf` (segment bytes) from `offset`, calling `body` for every
    /// valid record and every skipped bad stretch (one a valid record follows). A bad stretch
    /// with no valid record after it — a torn write or a corrupt tail — ends the walk.
    /// - Returns: where the walk ended: `buf.count`, or the start of the bad tail.
    @discardableResult
    static func scan(_ buf: UnsafeRawBufferPointer, from offset: Int = 0, _ body: (ScanItem) -> Void) -> Int {
        var off = offset
        while off < buf.count {
            if case .record(let p, let next) = frame(buf, at: off) {
                body(.record(payload: UnsafeRawBufferPointer(rebasing: buf[p]), offset: off))
                off = next
                continue
            }
            guard let next = nextValid(buf, after: off) else { return off }
            body(.skipped(from: off, to: next))
            off = next
        }
        return off
    }

    /// The offset of the first valid record strictly after `offset`, if any (a byte-by-byte
    /// search: after a corrupt header nothing says where the next record starts).
    static func nextValid(_ buf: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var i = offset + 1
        while i + headerSize < buf.count {
            if case .record = frame(buf, at: i) { return i }
            i += 1
        }
        return nil
    }
}
