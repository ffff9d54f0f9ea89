import PromModel

/// `--cluster.members-count N` / `--cluster.member-num I`, as vmagent's
/// `-promscrape.cluster.membersCount` / `memberNum`: N agents with the same config each keep
/// only the targets whose hash falls to them, so together they scrape every target exactly
/// once. The hash is computed from the target after `relabel_configs` — its labels without
/// the `__meta_*`/`__tmp` ones, plus the address, scheme, path and params that make its URL
/// — so every agent computes the same value, whatever order targets are discovered in.
public struct ClusterMembership: Sendable, Equatable {
    public let membersCount: Int
    public let memberNum: Int

    /// - Returns: nil unless `0 <= memberNum < membersCount`.
    public init?(membersCount: Int, memberNum: Int) {
        guard membersCount >= 1, memberNum >= 0, memberNum < membersCount else { return nil }
        self.membersCount = membersCount
        self.memberNum = memberNum
    }

    /// Parses `--cluster.member-num`: a number, or a name ending in `-NUMBER` (a StatefulSet
    /// pod name such as `promsls-2`), as vmagent accepts.
    public static func parseMemberNum(_ s: String) -> Int? {
        if let n = Int(s) { return n }
        guard let dash = s.lastIndex(of: "-") else { return nil }
        return Int(s[s.index(after: dash)...])
    }

    /// The member a relabeled target belongs to, in `0..<membersCount`.
    public func member(of relabeled: Labels) -> Int {
        Int(Self.mix(Self.key(relabeled).stableHash) % UInt64(membersCount))
    }

    /// True when this agent scrapes the target.
    public func owns(_ relabeled: Labels) -> Bool { member(of: relabeled) == memberNum }

    /// Wraps a target relabel function: targets of other members are dropped (nil).
    public func filter(
        _ relabel: (@Sendable (Labels) -> Labels?)?
    ) -> @Sendable (Labels) -> Labels? {
        let me = self
        return { labels in
            guard let out = relabel == nil ? labels : relabel!(labels) else { return nil }
            return me.owns(out) ? out : nil
        }
    }

    /// The labels that identify a target's scrapes.
    static func key(_ l: Labels) -> Labels {
        Labels(
            trustedSorted: l.filter { label in
                !label.name.hasPrefix("__") || label.name == "__address__" || label.name == "__scheme__"
                    || label.name == "__metrics_path__" || label.name.hasPrefix("__param_")
            })
    }

    /// splitmix64's finaliser: FNV-1a's low bits alone spread poorly over small moduli.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
