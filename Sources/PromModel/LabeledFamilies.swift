/// Self-metric families with one series per scrape pool (`{scrape_job=…}`), kept beside
/// swift-prometheus's registry and written after it on `/metrics`.
///
/// Why not the registry: swift-prometheus 2.4.1 copies a family's whole label-set dictionary
/// each time it adds a label set (`MetricFamily.adding`), so registering one series per job
/// costs O(jobs²): with a 10,980-job configuration that was most of a 30 s start-up. Here a
/// label set is added in O(1) and a handle is looked up once per pool, not once per scrape.
///
/// Output follows the text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): `# HELP`, `# TYPE`, then
/// the series in the order they were first asked for.
// Unchecked: every stored var is guarded by `lock`, one lock for the registry and its series
// (so `/metrics` emits a consistent snapshot); `Mutex` cannot be shared between objects.
public final class LabeledFamilies: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// One series: a counter or gauge value, or a histogram's buckets, sum and count.
    // Unchecked: its vars are guarded by the registry's `lock` (see above).
    public final class Series: @unchecked Sendable {
        fileprivate let lock: NSLockLite
        fileprivate let labels: [(String, String)]
        fileprivate var value = 0.0
        fileprivate var bucketCounts: [UInt64]
        fileprivate var count: UInt64 = 0
        fileprivate let upperBounds: [Double]

        fileprivate init(lock: NSLockLite, labels: [(String, String)], upperBounds: [Double]) {
            self.lock = lock
            self.labels = labels
            self.upperBounds = upperBounds
            bucketCounts = Array(repeating: 0, count: upperBounds.count)
        }

        /// Adds `amount` (a counter's increase; counters never decrease).
        public func increment(by amount: Double = 1) { lock.withLock { value += amount } }

        /// Sets a gauge.
        public func set(to newValue: Double) { lock.withLock { value = newValue } }

        /// Records one observation of a histogram, in the histogram's unit (seconds).
        public func observe(_ v: Double) {
            lock.withLock {
                value += v
                count += 1
                for (i, bound) in upperBounds.enumerated() where v <= bound { bucketCounts[i] += 1 }
            }
        }

        /// The counter or gauge value (a histogram's sum).
        public var current: Double { lock.withLock { value } }
    }

    private final class Family {
        let name: String
        let help: String
        let kind: Kind
        let upperBounds: [Double]
        var byLabels: [[String]: Series] = [:]
        var order: [Series] = []

        init(name: String, help: String, kind: Kind, upperBounds: [Double]) {
            self.name = name
            self.help = help
            self.kind = kind
            self.upperBounds = upperBounds
        }
    }

    private let lock = NSLockLite()
    private var families: [String: Family] = [:]
    private var familyOrder: [Family] = []

    public init() {}

    /// The series of family `name` with these labels (created at 0 on first use).
    /// - Parameters:
    ///   - kind: counter, gauge or histogram; a name keeps the kind it was first made with.
    ///   - upperBounds: histogram bucket bounds, ascending (`+Inf` is added on output).
    public func series(
        _ name: String, help: String, kind: Kind, labels: [(String, String)], upperBounds: [Double] = []
    ) -> Series {
        lock.withLock {
            let family: Family
            if let f = families[name] {
                family = f
            } else {
                family = Family(name: name, help: help, kind: kind, upperBounds: upperBounds)
                families[name] = family
                familyOrder.append(family)
            }
            let key = labels.flatMap { [$0.0, $0.1] }
            if let s = family.byLabels[key] { return s }
            let s = Series(lock: lock, labels: labels, upperBounds: family.upperBounds)
            family.byLabels[key] = s
            family.order.append(s)
            return s
        }
    }

    /// Appends every family in the text format to `out`.
    public func emit(into out: inout [UInt8]) {
        lock.withLock {
            for f in familyOrder where !f.order.isEmpty {
                out.append(contentsOf: "# HELP \(f.name) \(f.help)\n# TYPE \(f.name) \(f.kind.rawValue)\n".utf8)
                for s in f.order {
                    switch f.kind {
                    case .counter, .gauge:
                        line(&out, f.name, s.labels, nil, s.value)
                    case .histogram:
                        for (i, bound) in f.upperBounds.enumerated() {
                            line(&out, f.name + "_bucket", s.labels, Self.format(bound), Double(s.bucketCounts[i]))
                        }
                        line(&out, f.name + "_bucket", s.labels, "+Inf", Double(s.count))
                        line(&out, f.name + "_sum", s.labels, nil, s.value)
                        line(&out, f.name + "_count", s.labels, nil, Double(s.count))
                    }
                }
            }
        }
    }

    private func line(_ out: inout [UInt8], _ name: String, _ labels: [(String, String)], _ le: String?, _ v: Double) {
        out.append(contentsOf: name.utf8)
        var all = labels
        if let le { all.append(("le", le)) }
        if !all.isEmpty {
            out.append(UInt8(ascii: "{"))
            for (i, (n, value)) in all.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: "\(n)=\"\(Labels.escape(value))\"".utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: Self.format(v).utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// Integers without a fraction (`3`), other values as Swift prints them; `+Inf`, `NaN`.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    private static let attachedLock = NSLockLite()
    /// Registries are kept alive here: an identifier of a freed one could come back for a new
    /// registry and hand it the old one's series. (A process makes one; tests make a few.)
    nonisolated(unsafe) private static var attachedStores: [ObjectIdentifier: (AnyObject, LabeledFamilies)] = [:]

    /// The families that belong with `registry` (one per registry object, made on first use),
    /// so every part that writes self-metrics into a registry finds the same per-job store,
    /// and `/metrics` writes both.
    public static func attached(to registry: AnyObject) -> LabeledFamilies {
        attachedLock.withLock {
            if let (_, s) = attachedStores[ObjectIdentifier(registry)] { return s }
            let s = LabeledFamilies()
            attachedStores[ObjectIdentifier(registry)] = (registry, s)
            return s
        }
    }
}
