import PromModel

/// A resource kind Kubernetes discovery lists and watches, with its API path.
enum KubeResource: String, Sendable, CaseIterable {
    case pods, services, endpoints, endpointslices, ingresses, nodes, namespaces

    var apiPrefix: String {
        switch self {
        case .endpointslices: "/apis/discovery.k8s.io/v1"
        case .ingresses: "/apis/networking.k8s.io/v1"
        default: "/api/v1"
        }
    }

    var namespaced: Bool { self != .nodes && self != .namespaces }

    /// The `role` label of `prometheus_sd_kubernetes_events_total`.
    var roleLabel: String {
        switch self {
        case .pods: "pod"
        case .services: "service"
        case .endpoints: "endpoints"
        case .endpointslices: "endpointslice"
        case .ingresses: "ingress"
        case .nodes: "node"
        case .namespaces: "namespace"
        }
    }

    /// `/api/v1/pods` or `/api/v1/namespaces/{ns}/pods`.
    func path(namespace: String?) -> String {
        if namespaced, let namespace, !namespace.isEmpty {
            return "\(apiPrefix)/namespaces/\(kubePercentEncoded(namespace))/\(rawValue)"
        }
        return "\(apiPrefix)/\(rawValue)"
    }
}

/// `s` percent-encoded for a URL query value or path segment (PromModel's `percentEncoded`).
func kubePercentEncoded(_ s: String) -> String { percentEncoded(s) }
