import Testing

@testable import RemoteWrite

/// `WALRecord.scan`, the one record walk of start-up repair, loss reports and a reader's
/// series rebuild: which records it sees, which bad stretches it skips, where it stops.
@Suite struct WALRecordScanTests {
    /// What a scan of `bytes` reports: `r<offset>:<first payload byte>` per record,
    /// `s<from>-<to>` per skipped stretch, then `end <offset>`.
    static func scan(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        let end = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { item in
                switch item {
                case .record(let p, let off): out.append("r\(off):\(p.first ?? 0)")
                case .skipped(let from, let to): out.append("s\(from)-\(to)")
                }
            }
        }
        return out + ["end \(end)"]
    }

    @Test(
        arguments: [
            ("empty", [], ["end 0"]),
            ("three records", a + b + c, ["r0:1", "r11:2", "r21:3", "end 30"]),
            // A flipped payload byte: the CRC fails, the walk resumes at the next record.
            ("corrupt middle record", a + flip(b, at: 9) + c, ["r0:1", "s11-21", "r21:3", "end 30"]),
            // A header announcing more than was written (a torn write): the walk ends before it.
            ("torn tail", a + b + Array(c.prefix(5)), ["r0:1", "r11:2", "end 21"]),
            ("torn payload", a + Array(b.prefix(9)), ["r0:1", "end 11"]),
            // A zero length is corrupt, not a record: with nothing valid after it, the tail is bad.
            ("zeroed tail", a + [UInt8](repeating: 0, count: 20), ["r0:1", "end 11"]),
            ("garbage then a record", [7, 7, 7] + a, ["s0-3", "r3:1", "end 14"]),
        ] as [(String, [UInt8], [String])])
    func scanReportsRecordsSkipsAndWhereItEnded(_ name: String, bytes: [UInt8], expected: [String]) {
        #expect(Self.scan(bytes) == expected, "\(name)")
    }

    @Test func scanStartsAtTheGivenOffset() {
        let bytes = a + b
        var offsets: [Int] = []
        let end = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf, from: 11) { if case .record(_, let off) = $0 { offsets.append(off) } }
        }
        #expect(offsets == [11])
        #expect(end == 21)
    }

    @Test func nextValidFindsTheFirstRecordStrictlyAfter() {
        let bytes = a + [0, 0] + b
        bytes.withUnsafeBytes { buf in
            #expect(WALRecord.nextValid(buf, after: 0) == 13)
            #expect(WALRecord.nextValid(buf, after: 13) == nil)
        }
    }
}

/// A framed record (valid length and CRC) with `payload`.
private func record(_ payload: [UInt8]) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: WALRecord.headerSize)
    WALRecord.putFixed32(&header, at: 0, UInt32(payload.count))
    WALRecord.putFixed32(&header, at: 4, CRC32C.checksum(payload))
    return header + payload
}

private let a = record([1, 2, 3])  // 11 bytes
private let b = record([2, 9])  // 10 bytes
private let c = record([3])  // 9 bytes

private func flip(_ bytes: [UInt8], at i: Int) -> [UInt8] {
    var b = bytes
    b[i] ^= 0xff
    return b
}
