// The `pod` role: one target group per pod, one target per declared container port (or one per
// container without ports), as Prometheus's discovery/kubernetes/pod.go (`buildPod`, `podLabels`).

import PromModel

/// The `pod` role of `kubernetes_sd_configs`.
enum KubePodRole {
    /// `__meta_kubernetes_pod_*` target label names (pod.go).
    enum LabelName {
        static let ip = "__meta_kubernetes_pod_ip"
        static let ready = "__meta_kubernetes_pod_ready"
        static let phase = "__meta_kubernetes_pod_phase"
        static let nodeName = "__meta_kubernetes_pod_node_name"
        static let hostIP = "__meta_kubernetes_pod_host_ip"
        static let uid = "__meta_kubernetes_pod_uid"
        static let controllerKind = "__meta_kubernetes_pod_controller_kind"
        static let controllerName = "__meta_kubernetes_pod_controller_name"
        static let containerName = "__meta_kubernetes_pod_container_name"
        static let containerID = "__meta_kubernetes_pod_container_id"
        static let containerImage = "__meta_kubernetes_pod_container_image"
        static let containerInit = "__meta_kubernetes_pod_container_init"
        static let portName = "__meta_kubernetes_pod_container_port_name"
        static let portNumber = "__meta_kubernetes_pod_container_port_number"
        static let portProtocol = "__meta_kubernetes_pod_container_port_protocol"
    }

    /// Every target group of the role, one per pod in `cache` (sorting is the dispatcher's).
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.pods.values.map { group($0, cache: cache, options: options) }
    }

    /// `pod/<namespace>/<name>`: the source of a pod's group.
    static func source(_ pod: KubePod) -> String {
        "pod/\(pod.metadata.namespace ?? "")/\(pod.metadata.name)"
    }

    /// The group of one pod. A pod without an IP yet (starting, or evicted) yields its group with
    /// no targets and no labels, so an earlier group of the pod is replaced by an empty one.
    ///
    /// Group labels: `podLabels(_:)`, `__meta_kubernetes_namespace`, then the node's labels
    /// (`options.attachNode`) and the namespace's (`options.attachNamespace`) when the cache holds
    /// them. Targets: the regular containers, then the init containers; a container with ports
    /// gives one target per port (`<podIP>:<port>`, IPv6 bracketed), one without gives one target
    /// whose address is the bare pod IP.
    static func group(_ pod: KubePod, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup {
        guard let podIP = pod.status?.podIP, !podIP.isEmpty else {
            return TargetGroup(source: source(pod), targets: [])
        }
        var labels = podLabels(pod)
        labels[KubeLabels.namespace] = pod.metadata.namespace ?? ""
        if options.attachNode {
            KubeLabels.addNode(&labels, nodeName: pod.spec?.nodeName, cache: cache)
        }
        if options.attachNamespace {
            KubeLabels.addNamespace(&labels, namespace: pod.metadata.namespace, cache: cache)
        }

        var targets: [Labels] = []
        let regular = pod.spec?.containers ?? []
        let initial = pod.spec?.initContainers ?? []
        for (container, isInit) in regular.map({ ($0, false) }) + initial.map({ ($0, true) }) {
            let statuses = (isInit ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? []
            var base: [String: String] = [
                LabelName.containerName: container.name,
                LabelName.containerID: statuses.first { $0.name == container.name }?.containerID ?? "",
                LabelName.containerImage: container.image ?? "",
                LabelName.containerInit: isInit ? "true" : "false",
            ]
            let ports = container.ports ?? []
            if ports.isEmpty {
                base["__address__"] = podIP
                targets.append(Labels(base))
                continue
            }
            for port in ports {
                var t = base
                t["__address__"] = KubeLabels.joinHostPort(podIP, port.containerPort)
                t[LabelName.portNumber] = String(port.containerPort)
                t[LabelName.portName] = port.name ?? ""
                t[LabelName.portProtocol] = port.protocol_ ?? ""
                targets.append(Labels(t))
            }
        }
        return TargetGroup(source: source(pod), targets: targets, labels: Labels(labels))
    }

    /// The labels describing a pod, shared with the endpoints and endpointslice roles (pod.go
    /// `podLabels`): IP, readiness (`true`/`false`/`unknown`, from the `Ready` condition), phase,
    /// node name, host IP, UID, the controller's kind and name, and `__meta_kubernetes_pod_name`
    /// with the pod's labels and annotations. Not `__meta_kubernetes_namespace`. Empty values
    /// stand for absent labels.
    static func podLabels(_ pod: KubePod) -> [String: String] {
        var labels: [String: String] = [
            LabelName.ip: pod.status?.podIP ?? "",
            LabelName.ready: ready(pod),
            LabelName.phase: pod.status?.phase ?? "",
            LabelName.nodeName: pod.spec?.nodeName ?? "",
            LabelName.hostIP: pod.status?.hostIP ?? "",
            LabelName.uid: pod.metadata.uid ?? "",
        ]
        KubeLabels.addObjectMeta(&labels, pod.metadata, role: "pod")
        if let controller = pod.metadata.controller {
            if let kind = controller.kind, !kind.isEmpty { labels[LabelName.controllerKind] = kind }
            if let name = controller.name, !name.isEmpty { labels[LabelName.controllerName] = name }
        }
        return labels
    }

    /// The lower-cased status of the pod's `Ready` condition, `unknown` without one.
    static func ready(_ pod: KubePod) -> String {
        let condition = pod.status?.conditions?.first { $0.type == "Ready" }
        return (condition?.status ?? "Unknown").lowercased()
    }
}
