import Discovery
import PromModel
import Testing

@Suite("cluster membership")
struct ClusterMembershipTests {
    @Test(
        "member-num parses numbers and StatefulSet pod names",
        arguments: [
            ("0", 0), ("2", 2), ("promsls-1", 1), ("vm-agent-12", 12), ("promsls", nil), ("x-y", nil),
        ] as [(String, Int?)])
    func parseMemberNum(_ input: String, _ want: Int?) {
        #expect(ClusterMembership.parseMemberNum(input) == want)
    }

    @Test("invalid member numbers are refused")
    func invalid() {
        #expect(ClusterMembership(membersCount: 3, memberNum: 3) == nil)
        #expect(ClusterMembership(membersCount: 0, memberNum: 0) == nil)
        #expect(ClusterMembership(membersCount: 3, memberNum: -1) == nil)
        #expect(ClusterMembership(membersCount: 1, memberNum: 0) != nil)
    }

    @Test("3 members split 300 targets with no overlap and no gap, roughly evenly")
    func split() throws {
        let members = try (0..<3).map { try #require(ClusterMembership(membersCount: 3, memberNum: $0)) }
        var perMember = [0, 0, 0]
        for i in 0..<300 {
            let t = Labels([
                "__address__": "10.0.\(i / 256).\(i % 256):9100", "job": "node", "__meta_filepath": "/x\(i % 7)",
            ])
            let owners = members.filter { $0.owns(t) }.map(\.memberNum)
            #expect(owners.count == 1, "target \(i) owned by \(owners)")
            perMember[owners[0]] += 1
        }
        #expect(perMember.reduce(0, +) == 300)
        #expect(perMember.allSatisfy { $0 >= 70 && $0 <= 130 }, "split \(perMember)")
    }

    @Test("the owner ignores __meta_ labels and discovery order")
    func stableKey() throws {
        let m = try #require(ClusterMembership(membersCount: 5, memberNum: 0))
        let a = Labels(["__address__": "h:1", "env": "p", "__meta_dns_name": "a"])
        let b = Labels(["__address__": "h:1", "env": "p", "__meta_filepath": "/b.json"])
        #expect(m.member(of: a) == m.member(of: b))
    }

    @Test("filter wraps relabeling: dropped stays dropped, others' targets are dropped")
    func filter() throws {
        let m0 = try #require(ClusterMembership(membersCount: 2, memberNum: 0))
        let m1 = try #require(ClusterMembership(membersCount: 2, memberNum: 1))
        let t = Labels(["__address__": "h:1"])
        let kept = [m0.filter(nil)(t), m1.filter(nil)(t)].compactMap { $0 }
        #expect(kept == [t])
        #expect(m0.filter({ _ in nil })(t) == nil)
        #expect(m1.filter({ _ in nil })(t) == nil)
    }
}
