// The WAL harness (promsls-fuzz-wal): the record decoder and the start-up repair on hostile
// segment bytes, and the writer/reader round trip on arbitrary samples. Needs RemoteWrite's
// internals: `@testable`, so scripts/fuzz.sh builds with -enable-testing (debug builds have it).
import Foundation
import Logging
import PromModel
import Prometheus

@testable import RemoteWrite

/// One libFuzzer input through the WAL. The first byte picks what the rest is:
/// - `0`: a whole segment file, opened (repaired) and read to the end;
/// - `1`: record payloads (`[length byte][payload]`…), each framed with a valid length and CRC
///   so the fuzzer reaches the decoder past the checksum, the last one torn;
/// - `2`: samples (labels, timestamps, values from the bytes) appended through `WAL.append`, then
///   read back: every sample must come back bit for bit.
/// In every mode, opening the WAL again and reading it must give what the first reading gave
/// (the repair is final). Traps (`fatalError`) on a broken invariant. Returns 0.
public func fuzzWAL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let mode = input.first else { return 0 }
    let rest = input.dropFirst()
    let store = MemorySegmentStore()
    switch mode % 3 {
    case 0:
        try? store.append(1, Array(rest))
    case 1:
        try? store.append(1, framedRecords(rest))
    default:
        roundTrip(rest, store)
        return 0
    }
    let first = readEverything(store)
    let second = readEverything(store)
    guard first == second else {
        fatalError(
            "the WAL read differently once repaired: \(String(describing: first)) vs \(String(describing: second))")
    }
    return 0
}

private let quiet: Logger = {
    var l = Logger(label: "fuzz")
    l.logLevel = .critical
    return l
}()

private func openWAL(_ store: MemorySegmentStore) -> WAL? {
    try? WAL(
        store: store, options: WALOptions(maxSize: 0, retention: .zero), registry: PrometheusCollectorRegistry(),
        logger: quiet)
}

/// Every sample (bits, not values: NaN) the WAL in `store` gives back from its start, or nil
/// when it does not open.
private func readEverything(_ store: MemorySegmentStore) -> [String]? {
    guard let wal = openWAL(store) else { return nil }
    defer { wal.close() }
    var reader = WALReader(wal: wal, from: WALPosition(segment: 0, offset: 0), logger: quiet)
    var out: [String] = []
    while let records = try? reader.nextReadingHere(maxSamples: 100_000), !records.isEmpty {
        for r in records {
            for s in r.samples { out.append("\(s.labels) \(s.sample.timestampMs) \(s.sample.value.bitPattern)") }
            out.append("exemplars \(r.exemplars.count)")
        }
    }
    return out
}

private func framedRecords(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var i = bytes.startIndex
    while i < bytes.endIndex {
        let n = Int(bytes[i])
        i += 1
        let payload = Array(bytes[i..<min(i + n, bytes.endIndex)])
        i += payload.count
        guard !payload.isEmpty else { continue }
        var header = [UInt8](repeating: 0, count: 8)
        WALRecord.putFixed32(&header, at: 0, UInt32(payload.count))
        WALRecord.putFixed32(&header, at: 4, CRC32C.checksum(payload))
        out += header
        // The last record torn: its header announces more than is there.
        out += i >= bytes.endIndex ? Array(payload.dropLast()) : payload
    }
    return out
}

/// Samples from bytes: each takes 11 bytes (series, label width, timestamp step, value kind,
/// value bits); label values repeat a byte up to 255 times.
private func roundTrip(_ bytes: ArraySlice<UInt8>, _ store: MemorySegmentStore) {
    guard let wal = openWAL(store) else { fatalError("an empty WAL did not open") }
    var written: [String] = []
    var commit: [TimeSeriesSample] = []
    var ts: Int64 = 1_700_000_000_000
    var i = bytes.startIndex
    while bytes.endIndex - i >= 11 {
        let b = Array(bytes[i..<(i + 11)])
        i += 11
        let value: Double
        let bits = (3..<11).reduce(UInt64(0)) { $0 << 8 | UInt64(b[$1]) }
        switch b[2] % 4 {
        case 0: value = Double(Int64(bitPattern: bits) >> 10)  // whole numbers of every size
        case 1: value = Double(b[3]) - 128
        default: value = Double(bitPattern: bits)
        }
        ts += Int64(b[2] >> 2) - 8
        let labels = Labels([
            "__name__": "m\(b[0] % 16)",
            "i": String(repeating: String(UnicodeScalar(97 + b[0] % 26)), count: Int(b[1])),
        ])
        commit.append(TimeSeriesSample(labels: labels, timestampMs: ts, value: value))
        if b[0] & 0x80 != 0 {
            do { try wal.append(commit) } catch { fatalError("append failed: \(error)") }
            written += commit.map { "\($0.labels) \($0.sample.timestampMs) \($0.sample.value.bitPattern)" }
            commit = []
        }
    }
    var reader = WALReader(wal: wal, from: WALPosition(segment: 0, offset: 0), logger: quiet)
    var read: [String] = []
    while true {
        guard let records = try? reader.nextReadingHere(maxSamples: 100_000) else { fatalError("reading back threw") }
        if records.isEmpty { break }
        read += records.flatMap(\.samples).map { "\($0.labels) \($0.sample.timestampMs) \($0.sample.value.bitPattern)" }
    }
    guard read == written else { fatalError("read back \(read.count) samples of \(written.count), or different ones") }
    wal.close()
}

/// Seed inputs for the WAL harness in `dir`: segments of each record type (mode 0) as the
/// WAL writes them and as earlier versions did, and a round-trip input (mode 2).
public func writeWALSeeds(to dir: String) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    func save(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
    }
    let values: [Double] = [0, -0.0, 1, 7, 2.5, StaleNaN.value, .infinity, 1e300, 123_456_789, -5, 0.1]
    var definitions: [(UInt32, [UInt8])] = []
    for k in 0..<3 {
        var d: [UInt8] = []
        WALRecord.putLabels(&d, Labels(["__name__": "seed_metric", "i": "\(k)", "job": "node"]))
        definitions.append((UInt32(k), d))
    }
    let refs = values.indices.map { UInt32($0 % 3) }
    let samples = values.enumerated().map { i, v in
        RefSample(ref: SeriesRef(raw: 0), timestampMs: 1_700_000_000_000 + Int64(i % 2) * 15_000, value: v)
    }
    let exemplar = IndexedExemplar(
        index: 1, exemplar: Exemplar(labels: Labels(["trace_id": "abc"]), value: 7, timestampMs: 1_700_000_000_001))
    for (name, format) in [("plain", WALRecord.Format.plain), ("compact", .compact), ("tagged", .tagged)] {
        // A key record, then one stored against it (type 6).
        var segment: [UInt8] = [0]
        var values = WALValues()
        var undo: [(Int, UInt64)] = []
        WALRecord.appendCommit(
            to: &segment, definitions: definitions, refs: refs, samples: samples[...], format: format, values: &values,
            undo: &undo, key: true)
        WALRecord.appendCommit(
            to: &segment, definitions: [], refs: refs, samples: samples[...], exemplars: [exemplar], format: format,
            values: &values, undo: &undo, key: false)
        try save("segment-\(name)", segment)
    }
    var roundTrip: [UInt8] = [2]
    for k in 0..<40 {
        roundTrip +=
            [UInt8(k * 37 % 256), UInt8(k % 5), UInt8(k * 13 % 256)] + (0..<8).map { UInt8((k * 31 + $0 * 7) % 256) }
    }
    try save("round-trip", roundTrip)
}
