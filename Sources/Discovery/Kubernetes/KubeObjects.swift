// The Kubernetes API objects Kubernetes service discovery reads, decoded from the JSON the API
// server sends (core/v1, discovery.k8s.io/v1, networking.k8s.io/v1). Only the fields a target
// label needs are kept; every other field of the object is skipped while decoding. A field the
// API server may omit is optional here (`nil` stands for Go's zero value in Prometheus's code);
// a field the API requires is not, so an object without it fails to decode.
// https://kubernetes.io/docs/reference/kubernetes-api/

/// `metadata` of any object (`ObjectMeta`).
struct KubeObjectMeta: Decodable, Sendable, Equatable {
    var name: String
    var namespace: String?
    var uid: String?
    var resourceVersion: String?
    var labels: [String: String]?
    var annotations: [String: String]?
    var ownerReferences: [KubeOwnerReference]?

    /// The owner reference with `controller: true`, as apimachinery's `GetControllerOf`.
    var controller: KubeOwnerReference? { ownerReferences?.first { $0.controller == true } }
    /// `namespace/name`, or `name` for cluster-scoped objects: the key of a `KubeCache` map.
    var key: String { namespace.map { "\($0)/\(name)" } ?? name }

    /// Equal when every field but `resourceVersion` is: a new version of an object whose kept
    /// fields did not change changes no target.
    static func == (a: KubeObjectMeta, b: KubeObjectMeta) -> Bool {
        a.name == b.name && a.namespace == b.namespace && a.uid == b.uid && a.labels == b.labels
            && a.annotations == b.annotations && a.ownerReferences == b.ownerReferences
    }
}

struct KubeOwnerReference: Decodable, Sendable, Equatable {
    var kind: String?
    var name: String?
    var controller: Bool?
}

/// An object of one of the kinds service discovery watches.
protocol KubeObject: Decodable, Sendable, Equatable {
    var metadata: KubeObjectMeta { get }
}

/// `ObjectReference` (`targetRef` of an endpoint address).
struct KubeObjectReference: Decodable, Sendable, Equatable {
    var kind: String?
    var name: String?
    var namespace: String?
}

// MARK: - core/v1 Pod

struct KubePod: KubeObject {
    var metadata: KubeObjectMeta
    var spec: Spec?
    var status: Status?

    struct Spec: Decodable, Sendable, Equatable {
        var nodeName: String?
        var hostNetwork: Bool?
        var containers: [Container]?
        var initContainers: [Container]?
    }

    struct Container: Decodable, Sendable, Equatable {
        var name: String
        var image: String?
        var ports: [ContainerPort]?
        /// `Always` marks a native sidecar among init containers.
        var restartPolicy: String?
    }

    struct ContainerPort: Decodable, Sendable, Equatable {
        var name: String?
        var containerPort: Int
        /// `TCP` when the API server omits it.
        var protocol_: String?
        enum CodingKeys: String, CodingKey {
            case name, containerPort
            case protocol_ = "protocol"
        }
    }

    struct Status: Decodable, Sendable, Equatable {
        var phase: String?
        var podIP: String?
        var hostIP: String?
        var conditions: [Condition]?
        var containerStatuses: [ContainerStatus]?
        var initContainerStatuses: [ContainerStatus]?
    }

    struct Condition: Decodable, Sendable, Equatable {
        var type: String
        var status: String
    }

    struct ContainerStatus: Decodable, Sendable, Equatable {
        var name: String
        var containerID: String?
    }
}

// MARK: - core/v1 Node

struct KubeNode: KubeObject {
    var metadata: KubeObjectMeta
    var spec: Spec?
    var status: Status?

    struct Spec: Decodable, Sendable, Equatable {
        var providerID: String?
    }

    struct Status: Decodable, Sendable, Equatable {
        var addresses: [Address]?
        var daemonEndpoints: DaemonEndpoints?
    }

    struct Address: Decodable, Sendable, Equatable {
        /// `InternalIP`, `InternalDNS`, `ExternalIP`, `ExternalDNS`, `Hostname`.
        var type: String
        var address: String
    }

    struct DaemonEndpoints: Decodable, Sendable, Equatable {
        var kubeletEndpoint: KubeletEndpoint?
    }

    struct KubeletEndpoint: Decodable, Sendable, Equatable {
        // The API's field is capitalised.
        var port: Int?
        enum CodingKeys: String, CodingKey { case port = "Port" }
    }
}

// MARK: - core/v1 Namespace

struct KubeNamespace: KubeObject {
    var metadata: KubeObjectMeta
}

// MARK: - core/v1 Service

struct KubeService: KubeObject {
    var metadata: KubeObjectMeta
    var spec: Spec?
    var status: Status?

    struct Spec: Decodable, Sendable, Equatable {
        var ports: [ServicePort]?
        /// `ClusterIP` (the default), `NodePort`, `LoadBalancer`, `ExternalName`.
        var type: String?
        var clusterIP: String?
        var externalName: String?
        var externalIPs: [String]?
        var loadBalancerIP: String?
    }

    struct ServicePort: Decodable, Sendable, Equatable {
        var name: String?
        var port: Int
        var protocol_: String?
        var nodePort: Int?
        var appProtocol: String?
        enum CodingKeys: String, CodingKey {
            case name, port, nodePort, appProtocol
            case protocol_ = "protocol"
        }
    }

    struct Status: Decodable, Sendable, Equatable {
        var loadBalancer: LoadBalancerStatus?
    }

    struct LoadBalancerStatus: Decodable, Sendable, Equatable {
        var ingress: [LoadBalancerIngress]?
    }

    struct LoadBalancerIngress: Decodable, Sendable, Equatable {
        var ip: String?
        var hostname: String?
    }
}

// MARK: - core/v1 Endpoints

struct KubeEndpoints: KubeObject {
    var metadata: KubeObjectMeta
    var subsets: [Subset]?

    struct Subset: Decodable, Sendable, Equatable {
        var addresses: [Address]?
        var notReadyAddresses: [Address]?
        var ports: [Port]?
    }

    struct Address: Decodable, Sendable, Equatable {
        var ip: String
        var hostname: String?
        var nodeName: String?
        var targetRef: KubeObjectReference?
    }

    struct Port: Decodable, Sendable, Equatable {
        var name: String?
        var port: Int
        var protocol_: String?
        var appProtocol: String?
        enum CodingKeys: String, CodingKey {
            case name, port, appProtocol
            case protocol_ = "protocol"
        }
    }
}

// MARK: - discovery.k8s.io/v1 EndpointSlice

struct KubeEndpointSlice: KubeObject {
    var metadata: KubeObjectMeta
    /// `IPv4`, `IPv6` or `FQDN`.
    var addressType: String
    var endpoints: [Endpoint]?
    var ports: [Port]?

    struct Endpoint: Decodable, Sendable, Equatable {
        var addresses: [String]
        var conditions: Conditions?
        var hostname: String?
        var nodeName: String?
        var zone: String?
        var targetRef: KubeObjectReference?
        var deprecatedTopology: [String: String]?
    }

    struct Conditions: Decodable, Sendable, Equatable {
        var ready: Bool?
        var serving: Bool?
        var terminating: Bool?
    }

    struct Port: Decodable, Sendable, Equatable {
        var name: String?
        var port: Int?
        var protocol_: String?
        var appProtocol: String?
        enum CodingKeys: String, CodingKey {
            case name, port, appProtocol
            case protocol_ = "protocol"
        }
    }
}

// MARK: - networking.k8s.io/v1 Ingress

struct KubeIngress: KubeObject {
    var metadata: KubeObjectMeta
    var spec: Spec?

    struct Spec: Decodable, Sendable, Equatable {
        var ingressClassName: String?
        var tls: [TLS]?
        var rules: [Rule]?
    }

    struct TLS: Decodable, Sendable, Equatable {
        var hosts: [String]?
    }

    struct Rule: Decodable, Sendable, Equatable {
        var host: String?
        var http: HTTP?
    }

    struct HTTP: Decodable, Sendable, Equatable {
        /// Required by the API, but a Go client serialises an empty list as `null`. An `http`
        /// value without paths yields no targets; a rule without `http` yields path `/`.
        var paths: [Path]?
    }

    struct Path: Decodable, Sendable, Equatable {
        var path: String?
    }
}

// MARK: - What a discoverer knows

/// The objects one Kubernetes discoverer has listed and watched, by `KubeObjectMeta.key`
/// (`namespace/name`; nodes and namespaces by name). Role builders read it; the watchers
/// write it.
struct KubeCache: Sendable, Equatable {
    var pods: [String: KubePod] = [:]
    var services: [String: KubeService] = [:]
    var endpoints: [String: KubeEndpoints] = [:]
    var endpointSlices: [String: KubeEndpointSlice] = [:]
    var ingresses: [String: KubeIngress] = [:]
    var nodes: [String: KubeNode] = [:]
    var namespaces: [String: KubeNamespace] = [:]
}

/// The `attach_metadata` options of a `kubernetes_sd_configs` entry, as the role builders
/// read them.
struct KubeRoleOptions: Sendable, Equatable {
    /// `attach_metadata.node`: pod, endpoints and endpointslice targets carry their node's
    /// `__meta_kubernetes_node_*` labels.
    var attachNode = false
    /// `attach_metadata.namespace`: targets carry their namespace's
    /// `__meta_kubernetes_namespace_label_*` / `_annotation_*` labels.
    var attachNamespace = false
}
