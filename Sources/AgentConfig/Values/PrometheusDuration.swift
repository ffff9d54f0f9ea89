import PromModel

// Durations in Prometheus syntax (`model.ParseDuration` / `model.Duration.String` of
// prometheus/common): a sequence of `<int><unit>` with units y w d h m s ms, each at most
// once and in that order, no fractions, no sign. `0` alone is zero. A year is 365 days.

private let durationUnits: [(name: String, milliseconds: Int64)] = [
    ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
    ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
]

/// Parses a Prometheus duration (`1m30s`, `250ms`, `2d`, `0`).
/// - Returns: the duration, or `nil` when the text is not valid Prometheus syntax or overflows.
public func parsePrometheusDuration(_ text: String) -> Duration? {
    if text == "0" { return .zero }
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return nil }
    var index = 0
    var nextUnit = 0  // units must appear in table order, each at most once
    var total: Int64 = 0
    while index < bytes.count {
        var value: Int64 = 0
        let digitsStart = index
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { return nil }
            value = plus
            index += 1
        }
        guard index > digitsStart, index < bytes.count else { return nil }
        // Longest unit first: "ms" before "m".
        let isMilli =
            bytes[index] == UInt8(ascii: "m") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "s")
        let unitName = isMilli ? "ms" : String(decoding: bytes[index...index], as: UTF8.self)
        guard let position = durationUnits.firstIndex(where: { $0.name == unitName }), position >= nextUnit else {
            return nil
        }
        index += unitName.utf8.count
        nextUnit = position + 1
        let (scaled, o3) = value.multipliedReportingOverflow(by: durationUnits[position].milliseconds)
        let (sum, o4) = total.addingReportingOverflow(scaled)
        guard !o3, !o4 else { return nil }
        total = sum
    }
    return .milliseconds(total)
}

/// Formats a duration as Prometheus does (`1m30s`, `250ms`, `0s`; sub-millisecond parts are
/// dropped). Years and weeks are used only when they divide the duration exactly (`90d`, not
/// `12w6d`).
public func formatPrometheusDuration(_ duration: Duration) -> String {
    var ms = duration.totalMilliseconds
    if ms <= 0 { return ms == 0 ? "0s" : "-" + formatPrometheusDuration(.milliseconds(-ms)) }
    var out = ""
    for unit in durationUnits {
        if unit.name == "y" || unit.name == "w", ms % unit.milliseconds != 0 { continue }
        let count = ms / unit.milliseconds
        if count > 0 {
            out += "\(count)\(unit.name)"
            ms -= count * unit.milliseconds
        }
    }
    return out
}
