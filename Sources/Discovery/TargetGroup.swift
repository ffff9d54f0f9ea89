import PromModel

/// A set of targets sharing labels, as Prometheus's `targetgroup.Group`: what every
/// discovery mechanism produces.
public struct TargetGroup: Sendable, Equatable {
    /// Where the group came from (`file.json:0`, the URL and index, the DNS name); unique
    /// within one discoverer.
    public var source: String
    /// One label set per target, each with `__address__` and possibly `__meta_*` labels.
    public var targets: [Labels]
    /// Labels of the whole group; a target's own label of the same name wins.
    public var labels: Labels

    public init(source: String, targets: [Labels], labels: Labels = Labels()) {
        self.source = source
        self.targets = targets
        self.labels = labels
    }

    /// Every target's labels merged with the group's labels (the target's own win), as
    /// Prometheus's `targetsFromGroup` does. Both are sorted, so each merge is one linear pass.
    public func labelSets() -> [Labels] {
        guard !labels.isEmpty else { return targets }
        return targets.map { Self.merge($0, labels) }
    }

    /// `own` and `shared` merged in name order; on a name in both, `own`'s label.
    static func merge(_ own: Labels, _ shared: Labels) -> Labels {
        if own.isEmpty { return shared }
        var out: [Label] = []
        out.reserveCapacity(own.count + shared.count)
        var i = own.startIndex
        var j = shared.startIndex
        while i < own.endIndex, j < shared.endIndex {
            let a = own[i]
            let b = shared[j]
            if a.name == b.name {
                out.append(a)
                i += 1
                j += 1
            } else if a < b {
                out.append(a)
                i += 1
            } else {
                out.append(b)
                j += 1
            }
        }
        out.append(contentsOf: own[i...])
        out.append(contentsOf: shared[j...])
        return Labels(trustedSorted: out)
    }
}

/// Something that discovers target groups, as Prometheus's `discovery.Discoverer`.
public protocol Discoverer: Sendable {
    /// Runs until its task is cancelled. Calls `send` with the full current list of groups
    /// whenever it changes (and once after the first attempt, even when that failed, so the
    /// manager knows the discoverer has started).
    func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async
}
