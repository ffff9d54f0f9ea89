// Service-discovery configs promsls supports (`file_sd_configs`, `http_sd_configs`,
// `dns_sd_configs`), with Prometheus's defaults:
// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config

/// One `file_sd_configs` entry.
public struct FileSDConfig: Sendable, Equatable {
    /// Paths or globs (in the last path element only), resolved against the config's directory.
    /// Each must end in `.json`, `.yml` or `.yaml`.
    public var files: [String]
    /// Re-read interval besides file watching. Prometheus default: 5m.
    public var refreshInterval: Duration = .seconds(300)
    public init(files: [String], refreshInterval: Duration = .seconds(300)) {
        self.files = files
        self.refreshInterval = refreshInterval
    }
}

/// One `http_sd_configs` entry.
public struct HTTPSDConfig: Sendable, Equatable {
    public var url: String
    /// Prometheus default: 1m.
    public var refreshInterval: Duration = .seconds(60)
    public var httpClient: HTTPClientConfig = HTTPClientConfig()
    public init(url: String, refreshInterval: Duration = .seconds(60)) {
        self.url = url
        self.refreshInterval = refreshInterval
    }
}

/// One `dns_sd_configs` entry.
public struct DNSSDConfig: Sendable, Equatable {
    public var names: [String]
    /// `SRV` (default), `A`, `AAAA`, `MX` or `NS`.
    public var type: String = "SRV"
    /// Required unless `type` is `SRV`.
    public var port: Int = 0
    /// Prometheus default: 30s.
    public var refreshInterval: Duration = .seconds(30)
    public init(names: [String], type: String = "SRV", port: Int = 0, refreshInterval: Duration = .seconds(30)) {
        self.names = names
        self.type = type
        self.port = port
        self.refreshInterval = refreshInterval
    }
}

/// One `kubernetes_sd_configs` entry, as Prometheus's `kubernetes.SDConfig`:
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config
public struct KubernetesSDConfig: Sendable, Equatable {
    /// `role:` (required): which objects become targets.
    public enum Role: String, Sendable, Equatable, CaseIterable {
        case node, pod, service, endpoints, endpointslice, ingress
    }

    /// One `selectors:` entry: a label and/or field selector for the objects of `role`,
    /// passed to the API server as `labelSelector` / `fieldSelector`.
    public struct Selector: Sendable, Equatable {
        public var role: Role
        public var label: String?
        public var field: String?
        public init(role: Role, label: String? = nil, field: String? = nil) {
            self.role = role
            self.label = label
            self.field = field
        }
    }

    /// `namespaces:`: which namespaces to watch (all when both are empty / false).
    public struct Namespaces: Sendable, Equatable {
        public var names: [String] = []
        /// `own_namespace`: also the namespace promsls runs in (read from the service account's
        /// `namespace` file).
        public var ownNamespace: Bool = false
        public init(names: [String] = [], ownNamespace: Bool = false) {
            self.names = names
            self.ownNamespace = ownNamespace
        }
    }

    /// `attach_metadata:`.
    public struct AttachMetadata: Sendable, Equatable {
        /// `node`: pod, endpoints and endpointslice targets get their node's labels.
        public var node: Bool = false
        /// `namespace`: targets get their namespace's labels and annotations.
        public var namespace: Bool = false
        public init(node: Bool = false, namespace: Bool = false) {
            self.node = node
            self.namespace = namespace
        }
    }

    public var role: Role
    /// `api_server`: the API server's URL; `nil` means in-cluster (or `kubeconfig_file`).
    public var apiServer: String?
    /// `kubeconfig_file`, resolved against the config's directory; excludes `api_server`.
    public var kubeconfigFile: String?
    public var namespaces: Namespaces = Namespaces()
    public var selectors: [Selector] = []
    public var attachMetadata: AttachMetadata = AttachMetadata()
    /// The HTTP client options (auth, TLS, proxy, headers) for `api_server`.
    public var httpClient: HTTPClientConfig = HTTPClientConfig()

    public init(role: Role) { self.role = role }
}
