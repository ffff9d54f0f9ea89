import PromModel

/// An ordered list of compiled relabel rules: a pure function from a label set to a label
/// set, or to nothing when a rule drops it (Prometheus `relabel.Process`).
public struct RelabelRules: Sendable {
    public let rules: [RelabelRule]

    public init(_ rules: [RelabelRule]) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    /// Runs every rule in order.
    /// - Returns: the relabeled set, or nil when a rule dropped it.
    public func apply(_ labels: Labels) -> Labels? {
        if rules.isEmpty { return labels }
        var b = RelabelBuilder(labels)
        for rule in rules where !rule.apply(to: &b) { return nil }
        return b.labels()
    }

    /// Runs the rules like `apply`, recording the state after each rule (for
    /// `promsls check relabel`). The list stops at the rule that drops the set, whose entry
    /// has nil labels.
    public func trace(_ labels: Labels) -> [(ruleIndex: Int, labels: Labels?)] {
        var b = RelabelBuilder(labels)
        var out: [(ruleIndex: Int, labels: Labels?)] = []
        for (i, rule) in rules.enumerated() {
            guard rule.apply(to: &b) else {
                out.append((i, nil))
                break
            }
            out.append((i, b.labels()))
        }
        return out
    }
}

extension RelabelRule {
    /// Applies this rule alone. - Returns: nil when it drops the set.
    public func apply(_ labels: Labels) -> Labels? {
        var b = RelabelBuilder(labels)
        return apply(to: &b) ? b.labels() : nil
    }

    /// One rule on the builder (Prometheus `relabel`). - Returns: false to drop.
    func apply(to b: inout RelabelBuilder) -> Bool {
        var val: String
        switch sourceLabels.count {
        case 0: val = ""
        case 1: val = b.get(sourceLabels[0])
        default: val = sourceLabels.map { b.get($0) }.joined(separator: separator)
        }

        switch action {
        case .drop:
            if regex.matches(val) { return false }
        case .keep:
            if !regex.matches(val) { return false }
        case .dropEqual:
            if GoString.bytesEqual(b.get(targetLabel), val) { return false }
        case .keepEqual:
            if !GoString.bytesEqual(b.get(targetLabel), val) { return false }
        case .replace:
            // Fast path to add or delete a label pair.
            if val.isEmpty && regex.isDefault && !targetTemplate.hasVariables && !replacementTemplate.hasVariables {
                b.set(targetLabel, replacement)
                break
            }
            let result: (String, String)? = val.withUTF8 { bytes in
                guard let offsets = regex.offsets(bytes) else { return nil }
                let target = targetTemplate.hasVariables ? targetTemplate.expand(bytes, offsets) : targetLabel
                guard LabelName.isValid(target) else { return nil }
                return (target, replacementTemplate.expand(bytes, offsets))
            }
            // No match, or the target expanded to something that is not a label name:
            // nothing is written.
            guard let (target, value) = result else { break }
            if value.isEmpty { b.delete(target) } else { b.set(target, value) }
        case .lowercase:
            b.set(targetLabel, GoString.lowercased(val))
        case .uppercase:
            b.set(targetLabel, GoString.uppercased(val))
        case .hashMod:
            b.set(targetLabel, String(Self.hashMod(val, modulus)))
        case .labelMap:
            for l in b.range() {
                var name = l.name
                let mapped: String? = name.withUTF8 { bytes in
                    regex.offsets(bytes).map { replacementTemplate.expand(bytes, $0) }
                }
                // Prometheus would set a label with an empty name here; we cannot hold one.
                if let mapped, !mapped.isEmpty { b.set(mapped, l.value) }
            }
        case .labelDrop:
            for l in b.range() where regex.matches(l.name) { b.delete(l.name) }
        case .labelKeep:
            for l in b.range() where !regex.matches(l.name) { b.delete(l.name) }
        }
        return true
    }

    /// md5 of `value`, bytes 8..<16 as a big-endian integer, modulo `modulus` (Prometheus
    /// `HashMod`: "only the last 8 bytes … to give the same result as earlier versions").
    static func hashMod(_ value: String, _ modulus: UInt64) -> UInt64 {
        let h = MD5.digest(value.utf8)
        var v: UInt64 = 0
        for byte in h[8..<16] { v = v << 8 | UInt64(byte) }
        return v % modulus
    }
}
