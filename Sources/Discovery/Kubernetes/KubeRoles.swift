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
        return groups.sorted { $0.source < $1.source }
    }
}
