import PromModel

/// The `endpointslice` role of `kubernetes_sd_configs`: one group per discovery.k8s.io/v1
/// EndpointSlice, one target per endpoint, port and address, plus one per container port of the
/// addressed pods that no slice port covers. Follows Prometheus 3.x
/// discovery/kubernetes/endpointslice.go (`buildEndpointSlice`), with pod and service labels as
/// pod.go and service.go.
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#endpointslice
enum KubeEndpointSliceRole {
    static let role = "endpointslice"
    /// The label naming the slice's service.
    static let serviceNameLabel = "kubernetes.io/service-name"

    private static let p = KubeLabels.prefix + "endpointslice_"
    static let addressType = p + "address_type"
    static let portName = p + "port_name"
    static let portProtocol = p + "port_protocol"
    static let portNumber = p + "port"
    static let portAppProtocol = p + "port_app_protocol"
    static let conditionsReady = p + "endpoint_conditions_ready"
    static let conditionsServing = p + "endpoint_conditions_serving"
    static let conditionsTerminating = p + "endpoint_conditions_terminating"
    static let zone = p + "endpoint_zone"
    static let hostname = p + "endpoint_hostname"
    static let nodeName = p + "endpoint_node_name"
    static let targetKind = p + "address_target_kind"
    static let targetName = p + "address_target_name"
    static let topologyPrefix = p + "endpoint_topology_"
    static let topologyPresentPrefix = p + "endpoint_topology_present_"

    /// Every target group of the role, one per object, for the objects in `cache`.
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.endpointSlices.values.map { group($0, cache: cache, options: options) }
    }

    /// `endpointslice/<namespace>/<name>`.
    static func source(_ slice: KubeEndpointSlice) -> String {
        "endpointslice/\(slice.metadata.namespace ?? "")/\(slice.metadata.name)"
    }

    /// The group of one EndpointSlice.
    ///
    /// Group labels: the namespace and address type, the slice's name, labels and annotations,
    /// the labels of the service its `kubernetes.io/service-name` label names when the cache
    /// holds it, and with `attach_metadata.namespace` the namespace's. For each endpoint, each
    /// port, each address a target; an endpoint pointing to a cached pod also carries the pod's
    /// labels and those of the container port with the same number.
    static func group(_ slice: KubeEndpointSlice, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup {
        let namespace = slice.metadata.namespace ?? ""
        var labels = [KubeLabels.namespace: namespace, addressType: slice.addressType]
        KubeLabels.addObjectMeta(&labels, slice.metadata, role: role)
        if let service = slice.metadata.labels?[serviceNameLabel],
            let svc = cache.services["\(namespace)/\(service)"]
        {
            labels.merge(KubeServiceRole.serviceLabels(svc)) { _, svc in svc }
        }
        if options.attachNamespace {
            KubeLabels.addNamespace(&labels, namespace: namespace, cache: cache)
        }

        var targets: [[String: String]] = []
        var seen = KubeEndpointsShared.SeenPods()
        for endpoint in slice.endpoints ?? [] {
            for port in slice.ports ?? [] {
                for address in endpoint.addresses {
                    var t = target(address, endpoint, port: port, cache: cache, options: options)
                    if let pod = KubeEndpointsShared.pod(for: endpoint.targetRef, cache: cache) {
                        t.merge(KubePodRole.podLabels(pod)) { _, pod in pod }
                        if let number = port.port {
                            KubeEndpointsShared.addContainerLabels(&t, pod: pod, port: number) { $0.protocol_ ?? "" }
                        }
                        seen.add(pod, port: port.port)
                    }
                    targets.append(t)
                }
            }
        }
        targets += seen.uncoveredPortTargets()
        return TargetGroup(source: source(slice), targets: targets.map { Labels($0) }, labels: Labels(labels))
    }

    /// The labels of one address of an endpoint and one port, before any pod labels.
    private static func target(
        _ address: String, _ ep: KubeEndpointSlice.Endpoint, port: KubeEndpointSlice.Port,
        cache: KubeCache, options: KubeRoleOptions
    ) -> [String: String] {
        var t = ["__address__": port.port.map { KubeLabels.joinHostPort(address, $0) } ?? address]
        t[portName] = port.name
        t[portProtocol] = port.protocol_
        t[portNumber] = port.port.map(String.init)
        t[portAppProtocol] = port.appProtocol
        t[conditionsReady] = ep.conditions?.ready.map(String.init)
        t[conditionsServing] = ep.conditions?.serving.map(String.init)
        t[conditionsTerminating] = ep.conditions?.terminating.map(String.init)
        t[hostname] = ep.hostname
        if let ref = ep.targetRef {
            t[targetKind] = ref.kind ?? ""
            t[targetName] = ref.name ?? ""
        }
        t[nodeName] = ep.nodeName
        t[zone] = ep.zone
        for (k, v) in ep.deprecatedTopology ?? [:] {
            let n = KubeLabels.sanitize(k)
            t[topologyPrefix + n] = v
            t[topologyPresentPrefix + n] = KubeLabels.present
        }
        if options.attachNode {
            // The node the endpoint is, else the endpoint's node.
            if let ref = ep.targetRef, ref.kind == "Node" {
                KubeLabels.addNode(&t, nodeName: ref.name ?? "", cache: cache)
            } else {
                KubeLabels.addNode(&t, nodeName: ep.nodeName, cache: cache)
            }
        }
        return t
    }
}
