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

/// `s` percent-encoded for a URL query value or path segment: every byte but the unreserved
/// characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`).
func kubePercentEncoded(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
