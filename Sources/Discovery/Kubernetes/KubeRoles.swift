import PromModel
import Synchronization

/// The roles of `kubernetes_sd_configs` (`role:`), as Prometheus's `kubernetes.Role`.
enum KubeRole: String, Sendable, CaseIterable {
    case node, pod, service, endpoints, endpointslice, ingress

    /// Every target group the role yields for the objects in `cache`, sorted by source.
    func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        let groups: [TargetGroup] =
            switch self {
            case .node: KubeNodeRole.groups(cache: cache, options: options)
            case .pod: KubePodRole.groups(cache: cache, options: options)
            case .service: KubeServiceRole.groups(cache: cache, options: options)
            case .endpoints: KubeEndpointsRole.groups(cache: cache, options: options)
            case .endpointslice: KubeEndpointSliceRole.groups(cache: cache, options: options)
            case .ingress: KubeIngressRole.groups(cache: cache, options: options)
            }
        return groups.sorted { $0.source < $1.source }.map(KubeLabelNames.shared.intern)
    }
}

/// One copy of every label name the Kubernetes roles have made, shared by all the groups built
/// from then on. A role builds names by concatenation (`__meta_kubernetes_pod_label_` + the
/// sanitized key), a fresh heap string each time; at 5,000 pods with ~40 labels each that was
/// most of the discovery side's memory. Names are few (bounded by the distinct label and
/// annotation keys in the cluster), so the table is never pruned.
final class KubeLabelNames: Sendable {
    static let shared = KubeLabelNames()
    private let names = Mutex(Set<String>())

    /// The group with every label name replaced by its canonical copy.
    func intern(_ group: TargetGroup) -> TargetGroup {
        names.withLock { names in
            func canonical(_ labels: Labels) -> Labels {
                Labels(trustedSorted: labels.map { Label(names.insert($0.name).memberAfterInsert, $0.value) })
            }
            return TargetGroup(
                source: group.source, targets: group.targets.map(canonical), labels: canonical(group.labels))
        }
    }
}
