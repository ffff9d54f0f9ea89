import PromModel

/// The `endpoints` role of `kubernetes_sd_configs`: one group per core/v1 Endpoints object, one
/// target per address and port, plus one per container port of the addressed pods that no
/// endpoint port covers. Follows Prometheus 3.x discovery/kubernetes/endpoints.go
/// (`buildEndpoints`), with pod and service labels as pod.go and service.go.
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#endpoints
enum KubeEndpointsRole {
    static let role = "endpoints"
    static let nodeName = "__meta_kubernetes_endpoint_node_name"
    static let hostname = "__meta_kubernetes_endpoint_hostname"
    static let ready = "__meta_kubernetes_endpoint_ready"
    static let portName = "__meta_kubernetes_endpoint_port_name"
    static let portProtocol = "__meta_kubernetes_endpoint_port_protocol"
    static let targetKind = "__meta_kubernetes_endpoint_address_target_kind"
    static let targetName = "__meta_kubernetes_endpoint_address_target_name"

    /// Every target group of the role, one per object, for the objects in `cache`.
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.endpoints.values.map { group($0, cache: cache, options: options) }
    }

    /// `endpoints/<namespace>/<name>`.
    static func source(_ ep: KubeEndpoints) -> String {
        "endpoints/\(ep.metadata.namespace ?? "")/\(ep.metadata.name)"
    }

    /// The group of one Endpoints object.
    ///
    /// Group labels: the namespace, the labels of the service of the same name when the cache
    /// holds it, the object's own name, labels and annotations, and with
    /// `attach_metadata.namespace` the namespace's. For each subset, each port, its ready
    /// addresses then its not-ready ones (`_endpoint_ready` `true` / `false`) each yield a
    /// target; an address pointing to a cached pod also carries the pod's labels and those of
    /// the container port with the same number.
    static func group(_ ep: KubeEndpoints, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup {
        let namespace = ep.metadata.namespace ?? ""
        var labels = [KubeLabels.namespace: namespace]
        if let svc = cache.services[ep.metadata.key] {
            labels.merge(KubeServiceRole.serviceLabels(svc)) { _, svc in svc }
        }
        KubeLabels.addObjectMeta(&labels, ep.metadata, role: role)
        if options.attachNamespace {
            KubeLabels.addNamespace(&labels, namespace: namespace, cache: cache)
        }

        var targets: [[String: String]] = []
        var seen = KubeEndpointsShared.SeenPods()
        for subset in ep.subsets ?? [] {
            for port in subset.ports ?? [] {
                let addresses =
                    (subset.addresses ?? []).map { ($0, true) } + (subset.notReadyAddresses ?? []).map { ($0, false) }
                for (address, isReady) in addresses {
                    var t = target(address, port: port, ready: isReady, cache: cache, options: options)
                    if let pod = KubeEndpointsShared.pod(for: address.targetRef, cache: cache) {
                        t.merge(KubePodRole.podLabels(pod)) { _, pod in pod }
                        KubeEndpointsShared.addContainerLabels(&t, pod: pod, port: port.port) { _ in
                            port.protocol_ ?? ""
                        }
                        seen.add(pod, port: port.port)
                    }
                    targets.append(t)
                }
            }
        }
        targets += seen.uncoveredPortTargets()
        return TargetGroup(source: source(ep), targets: targets.map { Labels($0) }, labels: Labels(labels))
    }

    /// The labels of one address and port, before any pod labels.
    private static func target(
        _ address: KubeEndpoints.Address, port: KubeEndpoints.Port, ready isReady: Bool,
        cache: KubeCache, options: KubeRoleOptions
    ) -> [String: String] {
        var t = [
            "__address__": KubeLabels.joinHostPort(address.ip, port.port),
            portName: port.name ?? "",
            portProtocol: port.protocol_ ?? "",
            ready: String(isReady),
        ]
        if let ref = address.targetRef {
            t[targetKind] = ref.kind ?? ""
            t[targetName] = ref.name ?? ""
        }
        if let node = address.nodeName { t[nodeName] = node }
        if let host = address.hostname, !host.isEmpty { t[hostname] = host }
        if options.attachNode {
            // The address's node, else the node the address itself is.
            if let node = address.nodeName {
                KubeLabels.addNode(&t, nodeName: node, cache: cache)
            } else if let ref = address.targetRef, ref.kind == "Node" {
                KubeLabels.addNode(&t, nodeName: ref.name, cache: cache)
            }
        }
        return t
    }
}
