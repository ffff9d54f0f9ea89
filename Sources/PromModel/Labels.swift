/// One label: a name and a value, both UTF-8.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }
}

/// A label set: labels sorted by name (byte order), names unique, empty values removed —
/// the invariant Prometheus keeps for `labels.Labels` and the order remote write requires.
///
/// See https://prometheus.io/docs/concepts/data_model/ and the remote write 1.0 spec
/// ("Labels MUST be sorted by name", "Label names MUST be unique").
public struct Labels: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    public private(set) var labels: [Label]

    public static let metricName = "__name__"

    /// The empty label set.
    public init() { labels = [] }

    /// Builds a label set from labels in any order. Later duplicates replace earlier ones;
    /// labels with an empty value are removed (an empty value means "absent").
    public init(_ unsorted: [Label]) {
        var sorted = unsorted.filter { !$0.value.isEmpty }
        // Stable sort keeps the original order of equal names, so "last wins" below.
        sorted = sorted.enumerated().sorted { a, b in
            if a.element.name == b.element.name { return a.offset < b.offset }
            return a.element < b.element
        }.map(\.element)
        var out: [Label] = []
        out.reserveCapacity(sorted.count)
        for l in sorted {
            if let last = out.last, last.name == l.name {
                out[out.count - 1] = l
            } else {
                out.append(l)
            }
        }
        labels = out
    }

    /// Builds a label set from a dictionary.
    public init(_ dict: [String: String]) {
        self.init(dict.map { Label($0.key, $0.value) })
    }

    /// Wraps labels the caller guarantees are sorted by name, unique and non-empty.
    public init(trustedSorted: [Label]) { labels = trustedSorted }

    public var startIndex: Int { labels.startIndex }
    public var endIndex: Int { labels.endIndex }
    public subscript(position: Int) -> Label { labels[position] }

    /// The value of `name`, or nil when the label is absent.
    public subscript(name: String) -> String? {
        get {
            for l in labels where l.name == name { return l.value }
            return nil
        }
        set {
            var b = LabelsBuilder(self)
            b.set(name, newValue ?? "")
            self = b.labels()
        }
    }

    /// The metric name (`__name__`), or nil.
    public var name: String? { self[Labels.metricName] }

    /// A stable 64-bit hash of the label set (FNV-1a over `name 0xff value 0xff …`), used for
    /// sharding: equal label sets hash equally in every process and run.
    public var stableHash: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for l in labels {
            for b in l.name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xff) &* 0x100_0000_01b3
            for b in l.value.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xff) &* 0x100_0000_01b3
        }
        return h
    }

    /// Prometheus's string form: `name{a="1", b="2"}`.
    public var description: String {
        var out = ""
        var rest: [Label] = []
        for l in labels {
            if l.name == Labels.metricName { out = l.value } else { rest.append(l) }
        }
        if rest.isEmpty && !out.isEmpty { return out }
        out += "{"
        out += rest.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ")
        out += "}"
        return out
    }

    /// Escapes a label value as the text format does (`\\`, `\"`, `\n`).
    public static func escape(_ v: String) -> String {
        guard v.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 10 }) else {
            return v
        }
        var s = ""
        for c in v {
            switch c {
            case "\\": s += "\\\\"
            case "\"": s += "\\\""
            case "\n": s += "\\n"
            default: s.append(c)
            }
        }
        return s
    }
}

/// Builds a label set by setting and deleting labels on top of a base, keeping the invariant.
public struct LabelsBuilder: Sendable {
    private var list: [Label]

    public init(_ base: Labels = Labels()) { list = base.labels }

    /// Sets `name` to `value`; an empty value deletes the label.
    public mutating func set(_ name: String, _ value: String) {
        if let i = list.firstIndex(where: { $0.name == name }) {
            if value.isEmpty { list.remove(at: i) } else { list[i].value = value }
            return
        }
        guard !value.isEmpty else { return }
        let l = Label(name, value)
        let at = list.firstIndex(where: { l < $0 }) ?? list.count
        list.insert(l, at: at)
    }

    public mutating func delete(_ name: String) { set(name, "") }

    public func get(_ name: String) -> String? { list.first { $0.name == name }?.value }

    public mutating func removeAll(where shouldRemove: (Label) -> Bool) { list.removeAll(where: shouldRemove) }

    public var current: [Label] { list }

    public func labels() -> Labels { Labels(trustedSorted: list) }
}
