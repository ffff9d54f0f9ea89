import Testing

@testable import AgentConfig

struct DurationTests {
    static let valid: [(text: String, milliseconds: Int64)] = [
        ("0", 0), ("0s", 0), ("250ms", 250), ("1s", 1000), ("30s", 30_000), ("1m", 60_000), ("1m30s", 90_000),
        ("1h", 3_600_000), ("2d", 2 * 86_400_000), ("1w", 7 * 86_400_000), ("1y", 365 * 86_400_000),
        ("1h30m15s500ms", 5_415_500), ("1y2w3d4h5m6s7ms", 31_536_000_000 + 1_209_600_000 + 259_200_000 + 14_706_007),
        ("90s", 90_000), ("100ms", 100),
    ]

    @Test(arguments: valid)
    func parses(text: String, milliseconds: Int64) {
        #expect(parsePrometheusDuration(text) == .milliseconds(milliseconds))
    }

    static let invalid = [
        "", "1", "1.5s", "-1s", "1x", "s", "1m1h", "1s1s", "1ms1s", "1 s", " 1s", "1S", "1sec", "1mss",
        "99999999999999999999y", "1h 30m",
    ]

    @Test(arguments: invalid)
    func rejects(text: String) {
        #expect(parsePrometheusDuration(text) == nil)
    }

    static let formatted: [(milliseconds: Int64, text: String)] = [
        (0, "0s"), (250, "250ms"), (1000, "1s"), (90_000, "1m30s"), (3_600_000, "1h"), (86_400_000, "1d"),
        (7 * 86_400_000, "1w"), (90 * 86_400_000, "90d"), (365 * 86_400_000, "1y"), (5_415_500, "1h30m15s500ms"),
        (15_000, "15s"),
    ]

    @Test(arguments: formatted)
    func formats(milliseconds: Int64, text: String) {
        #expect(formatPrometheusDuration(.milliseconds(milliseconds)) == text)
        #expect(parsePrometheusDuration(text) == .milliseconds(milliseconds))
    }

    static let sizes: [(text: String, bytes: Int?)] = [
        ("0", 0), ("10MB", 10 << 20), ("10MiB", 10 << 20), ("512KiB", 512 << 10), ("1KB", 1024), ("1GB", 1 << 30),
        ("100B", 100), ("1GB512MB", (1 << 30) + (512 << 20)), ("1.5KB", 1536),
        ("10", nil), ("", nil), ("10XB", nil), ("MB", nil), ("10mb", nil),
    ]

    @Test(arguments: sizes)
    func byteSizes(text: String, bytes: Int?) {
        #expect(parseBase2Bytes(text) == bytes)
    }
}
