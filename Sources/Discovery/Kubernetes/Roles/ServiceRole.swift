// The `service` role: one target group per service, one target per service port addressed by the
// service's cluster DNS name, as Prometheus's discovery/kubernetes/service.go (`buildService`,
// `serviceLabels`).

import PromModel

/// The `service` role of `kubernetes_sd_configs`.
enum KubeServiceRole {
    /// `__meta_kubernetes_service_*` target label names (service.go).
    enum LabelName {
        static let portName = "__meta_kubernetes_service_port_name"
        static let portNumber = "__meta_kubernetes_service_port_number"
        static let portProtocol = "__meta_kubernetes_service_port_protocol"
        static let clusterIP = "__meta_kubernetes_service_cluster_ip"
        static let loadBalancerIP = "__meta_kubernetes_service_loadbalancer_ip"
        static let externalName = "__meta_kubernetes_service_external_name"
        static let type = "__meta_kubernetes_service_type"
    }

    /// Every target group of the role, one per service in `cache` (sorting is the dispatcher's).
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.services.values.map { group($0, cache: cache, options: options) }
    }

    /// `svc/<namespace>/<name>`: the source of a service's group.
    static func source(_ svc: KubeService) -> String {
        "svc/\(svc.metadata.namespace ?? "")/\(svc.metadata.name)"
    }

    /// The group of one service: `serviceLabels(_:)` plus the namespace's labels
    /// (`options.attachNamespace`); one target per port, `<name>.<namespace>.svc:<port>`, with the
    /// port's name, number and protocol and the service type; `_external_name` for an
    /// `ExternalName` service, `_cluster_ip` for any other; `_loadbalancer_ip` for a
    /// `LoadBalancer` service (`loadBalancerIP(_:)`). A service without ports has no targets.
    static func group(_ svc: KubeService, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup {
        var labels = serviceLabels(svc)
        if options.attachNamespace {
            KubeLabels.addNamespace(&labels, namespace: svc.metadata.namespace, cache: cache)
        }
        let host = "\(svc.metadata.name).\(svc.metadata.namespace ?? "").svc"
        let type = svc.spec?.type ?? ""
        let targets = (svc.spec?.ports ?? []).map { port -> Labels in
            var t: [String: String] = [
                "__address__": KubeLabels.joinHostPort(host, port.port),
                LabelName.portName: port.name ?? "",
                LabelName.portNumber: String(port.port),
                LabelName.portProtocol: port.protocol_ ?? "",
                LabelName.type: type,
            ]
            if type == "ExternalName" {
                t[LabelName.externalName] = svc.spec?.externalName ?? ""
            } else {
                t[LabelName.clusterIP] = svc.spec?.clusterIP ?? ""
            }
            if type == "LoadBalancer" {
                t[LabelName.loadBalancerIP] = loadBalancerIP(svc)
            }
            return Labels(t)
        }
        return TargetGroup(source: source(svc), targets: targets, labels: Labels(labels))
    }

    /// The labels describing a service, shared with the endpoints and endpointslice roles
    /// (service.go `serviceLabels`): `__meta_kubernetes_namespace`, `__meta_kubernetes_service_name`
    /// and the service's labels and annotations.
    static func serviceLabels(_ svc: KubeService) -> [String: String] {
        var labels = [KubeLabels.namespace: svc.metadata.namespace ?? ""]
        KubeLabels.addObjectMeta(&labels, svc.metadata, role: "service")
        return labels
    }

    /// `__meta_kubernetes_service_loadbalancer_ip`: the IPs in `status.loadBalancer.ingress`,
    /// comma-separated (dual-stack gives two), or the deprecated `spec.loadBalancerIP` when the
    /// status holds no IP. Hostname-only ingress points (e.g. EKS) are not used. This follows
    /// Prometheus PR #19404 (fix for issue #14398); earlier service.go read only the spec field.
    static func loadBalancerIP(_ svc: KubeService) -> String {
        let ips = (svc.status?.loadBalancer?.ingress ?? []).compactMap(\.ip).filter { !$0.isEmpty }
        return ips.isEmpty ? svc.spec?.loadBalancerIP ?? "" : ips.joined(separator: ",")
    }
}
