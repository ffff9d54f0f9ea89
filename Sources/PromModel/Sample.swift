/// One sample: a timestamp in milliseconds since the Unix epoch and a float value.
public struct Sample: Hashable, Sendable {
    public var timestampMs: Int64
    public var value: Double

    public init(timestampMs: Int64, value: Double) {
        self.timestampMs = timestampMs
        self.value = value
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        a.timestampMs == b.timestampMs && a.value.bitPattern == b.value.bitPattern
    }

    public func hash(into h: inout Hasher) {
        h.combine(timestampMs)
        h.combine(value.bitPattern)
    }
}

/// A series' labels with one sample, as it travels from the scrape loop to remote write.
public struct TimeSeriesSample: Hashable, Sendable {
    public var labels: Labels
    public var sample: Sample

    public init(labels: Labels, timestampMs: Int64, value: Double) {
        self.labels = labels
        self.sample = Sample(timestampMs: timestampMs, value: value)
    }
}

/// An exemplar (OpenMetrics): its own labels (for example `trace_id`), a value and a
/// timestamp in milliseconds since the Unix epoch. It belongs to the sample of a series it
/// was appended with; its labels are not merged with target or external labels.
public struct Exemplar: Sendable, Hashable {
    public var labels: Labels
    public var value: Double
    public var timestampMs: Int64

    public init(labels: Labels, value: Double, timestampMs: Int64) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    public static func == (a: Exemplar, b: Exemplar) -> Bool {
        a.labels == b.labels && a.value.bitPattern == b.value.bitPattern && a.timestampMs == b.timestampMs
    }

    public func hash(into h: inout Hasher) {
        h.combine(labels)
        h.combine(value.bitPattern)
        h.combine(timestampMs)
    }
}

/// Prometheus's staleness marker: a NaN with a fixed bit pattern that PromQL treats as
/// "series ended here". See https://prometheus.io/docs/prometheus/latest/querying/basics/#staleness
public enum StaleNaN {
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bits)

    public static func isStale(_ v: Double) -> Bool { v.bitPattern == bits }
}

/// Milliseconds since the Unix epoch for "now" (wall clock).
public func currentTimeMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
