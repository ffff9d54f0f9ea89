// What the `endpoints` and `endpointslice` roles share (besides `KubePodRole.podLabels` and
// `KubeServiceRole.serviceLabels`): the lookup of an address's pod, and the targets for the
// container ports no endpoint port covered. Prometheus: endpoints.go and endpointslice.go
// (`resolvePodRef`, `seenPods`).

/// Helpers of the endpoints-like roles.
enum KubeEndpointsShared {
    // MARK: Label names

    static let podContainerName = "__meta_kubernetes_pod_container_name"
    static let podContainerImage = "__meta_kubernetes_pod_container_image"
    static let podContainerPortName = "__meta_kubernetes_pod_container_port_name"
    static let podContainerPortNumber = "__meta_kubernetes_pod_container_port_number"
    static let podContainerPortProtocol = "__meta_kubernetes_pod_container_port_protocol"
    static let podContainerInit = "__meta_kubernetes_pod_container_init"

    /// The pod an address's `targetRef` points to, when it is a pod the cache holds.
    static func pod(for ref: KubeObjectReference?, cache: KubeCache) -> KubePod? {
        guard let ref, ref.kind == "Pod", let name = ref.name else { return nil }
        let ns = ref.namespace ?? ""
        return cache.pods[ns.isEmpty ? name : "\(ns)/\(name)"]
    }

    /// A pod's containers followed by its init containers, each with whether it is an init
    /// container (native sidecars serve ports from there).
    static func containers(of pod: KubePod) -> [(container: KubePod.Container, isInit: Bool)] {
        (pod.spec?.containers ?? []).map { ($0, false) } + (pod.spec?.initContainers ?? []).map { ($0, true) }
    }

    /// Adds the `__meta_kubernetes_pod_container_*` labels of the container port numbered
    /// `port`. When several containers expose it, the last one wins, as in Prometheus (its loop
    /// leaves only the port loop on a match).
    /// - Parameters:
    ///   - protocolOf: the value of `_pod_container_port_protocol` for the matching container
    ///     port (the endpoints role reports the endpoint port's protocol, endpointslice the
    ///     container port's).
    static func addContainerLabels(
        _ target: inout [String: String], pod: KubePod, port: Int,
        protocolOf: (KubePod.ContainerPort) -> String
    ) {
        for (c, isInit) in containers(of: pod) {
            guard let cport = c.ports?.first(where: { $0.containerPort == port }) else { continue }
            target[podContainerName] = c.name
            target[podContainerImage] = c.image ?? ""
            target[podContainerPortName] = cport.name ?? ""
            target[podContainerPortNumber] = String(port)
            target[podContainerPortProtocol] = protocolOf(cport)
            target[podContainerInit] = String(isInit)
        }
    }

    /// The pods the addresses of one object point to, in the order first seen, with the endpoint
    /// port numbers that already yielded a target for each.
    struct SeenPods {
        private var order: [String] = []
        private var entries: [String: (pod: KubePod, ports: Set<Int>)] = [:]

        /// Records that `pod` got a target for endpoint port `port` (nil: a port without a number).
        mutating func add(_ pod: KubePod, port: Int?) {
            let key = pod.metadata.key
            if entries[key] == nil {
                order.append(key)
                entries[key] = (pod, [])
            }
            if let port { entries[key]?.ports.insert(port) }
        }

        /// One target per container port of the seen pods that no endpoint port covered, so every
        /// port of a pod behind the service is discovered. Pods without an IP yield none.
        func uncoveredPortTargets() -> [[String: String]] {
            var targets: [[String: String]] = []
            for key in order {
                guard let (pod, covered) = entries[key], let ip = pod.status?.podIP, !ip.isEmpty else { continue }
                let podLabels = KubePodRole.podLabels(pod)
                for (c, isInit) in KubeEndpointsShared.containers(of: pod) {
                    for cport in c.ports ?? [] where !covered.contains(cport.containerPort) {
                        var t: [String: String] = [
                            "__address__": KubeLabels.joinHostPort(ip, cport.containerPort),
                            podContainerName: c.name,
                            podContainerImage: c.image ?? "",
                            podContainerPortName: cport.name ?? "",
                            podContainerPortNumber: String(cport.containerPort),
                            podContainerPortProtocol: cport.protocol_ ?? "",
                            podContainerInit: String(isInit),
                        ]
                        t.merge(podLabels) { _, pod in pod }
                        targets.append(t)
                    }
                }
            }
            return targets
        }
    }
}
