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
    /// Prometheus's `targetsFromGroup` does.
    public func labelSets() -> [Labels] {
        targets.map { t in
            var b = LabelsBuilder(t)
            for l in labels where t[l.name] == nil { b.set(l.name, l.value) }
            return b.labels()
        }
    }
}

/// Something that discovers target groups, as Prometheus's `discovery.Discoverer`.
public protocol Discoverer: Sendable {
    /// Runs until its task is cancelled. Calls `send` with the full current list of groups
    /// whenever it changes (and once after the first attempt, even when that failed, so the
    /// manager knows the discoverer has started).
    func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async
}
