import PromModel
import Synchronization

/// The roles of `kubernetes_sd_configs` (`role:`), as Prometheus's `kubernetes.Role`.
enum KubeRole: String, Sendable, CaseIterable {
    case node, pod, service, endpoints, endpointslice, ingress

    /// The resource whose objects the role's groups come from (one group per object).
    var primary: KubeResource {
        switch self {
        case .node: .nodes
        case .pod: .pods
        case .service: .services
        case .endpoints: .endpoints
        case .endpointslice: .endpointslices
        case .ingress: .ingresses
        }
    }

    /// Every target group the role yields for the objects in `cache`, sorted by source.
    func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        groupsByKey(cache: cache, options: options).values.sorted { $0.source < $1.source }
    }

    /// Every target group, by the key of the primary object it comes from.
    func groupsByKey(cache: KubeCache, options: KubeRoleOptions) -> [String: TargetGroup] {
        var out: [String: TargetGroup] = [:]
        switch self {
        case .node:
            for (k, o) in cache.nodes { out[k] = KubeNodeRole.group(o) }
        case .pod:
            for (k, o) in cache.pods { out[k] = KubePodRole.group(o, cache: cache, options: options) }
        case .service:
            for (k, o) in cache.services { out[k] = KubeServiceRole.group(o, cache: cache, options: options) }
        case .endpoints:
            for (k, o) in cache.endpoints { out[k] = KubeEndpointsRole.group(o, cache: cache, options: options) }
        case .endpointslice:
            for (k, o) in cache.endpointSlices {
                out[k] = KubeEndpointSliceRole.group(o, cache: cache, options: options)
            }
        case .ingress:
            for (k, o) in cache.ingresses { out[k] = KubeIngressRole.group(o, cache: cache, options: options) }
        }
        return out.mapValues(KubeLabelNames.shared.intern)
    }

    /// The group of the primary object at `key`; nil when the cache does not hold it (or, for
    /// a node without an address, it yields no group).
    func group(key: String, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup? {
        let group: TargetGroup? =
            switch self {
            case .node: cache.nodes[key].flatMap(KubeNodeRole.group)
            case .pod: cache.pods[key].map { KubePodRole.group($0, cache: cache, options: options) }
            case .service: cache.services[key].map { KubeServiceRole.group($0, cache: cache, options: options) }
            case .endpoints: cache.endpoints[key].map { KubeEndpointsRole.group($0, cache: cache, options: options) }
            case .endpointslice:
                cache.endpointSlices[key].map { KubeEndpointSliceRole.group($0, cache: cache, options: options) }
            case .ingress: cache.ingresses[key].map { KubeIngressRole.group($0, cache: cache, options: options) }
            }
        return group.map(KubeLabelNames.shared.intern)
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
