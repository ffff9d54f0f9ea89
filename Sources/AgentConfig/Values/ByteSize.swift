// Byte sizes as Prometheus's `body_size_limit` (`units.Base2Bytes` of alecthomas/units):
// `<number><unit>` repeated, units B KB MB GB TB PB EB and KiB MiB GiB TiB PiB EiB, all
// powers of 1024 (so `10MB` is 10 × 2^20). Fractions are allowed (`1.5MiB`); `0` alone is 0.

private let byteUnits: [String: Double] = {
    var table: [String: Double] = ["B": 1]
    var scale: Double = 1
    for prefix in ["K", "M", "G", "T", "P", "E"] {
        scale *= 1024
        table[prefix + "B"] = scale
        table[prefix + "iB"] = scale
    }
    return table
}()

/// Parses a base-2 byte size (`10MB`, `512KiB`, `1GB512MB`).
/// - Returns: the size in bytes, or `nil` when invalid (missing or unknown unit, overflow).
public func parseBase2Bytes(_ text: String) -> Int? {
    if text == "0" { return 0 }
    let chars = Array(text)
    guard !chars.isEmpty else { return nil }
    var index = 0
    var total: Double = 0
    while index < chars.count {
        let numberStart = index
        while index < chars.count, chars[index].isASCII, chars[index].isNumber || chars[index] == "." { index += 1 }
        guard index > numberStart, let number = Double(String(chars[numberStart..<index])) else { return nil }
        let unitStart = index
        while index < chars.count, chars[index].isASCII, chars[index].isLetter { index += 1 }
        guard let scale = byteUnits[String(chars[unitStart..<index])] else { return nil }
        total += number * scale
    }
    guard total < Double(Int.max) else { return nil }
    return Int(total)
}
