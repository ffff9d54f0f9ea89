/// `kubernetes_sd_configs` of a job, validated as Prometheus's `kubernetes.SDConfig.UnmarshalYAML`
/// (discovery/kubernetes/kubernetes.go): the role is required and known; `api_server`,
/// `kubeconfig_file` and `namespaces.own_namespace` exclude each other; HTTP client options
/// need `api_server`; each selector role at most once and only the roles the role watches;
/// label and field selectors must parse as the API server's.
enum KubernetesSDDecoder {
    static let roleList = "pod, service, endpoints, endpointslice, node, ingress"

    /// The selector roles each role accepts: the kinds of object it watches.
    static func allowedSelectorRoles(_ role: KubernetesSDConfig.Role) -> [KubernetesSDConfig.Role] {
        switch role {
        case .pod: [.pod]
        case .service: [.service]
        case .endpointslice: [.pod, .service, .endpointslice]
        case .endpoints: [.pod, .service, .endpoints]
        case .node: [.node]
        case .ingress: [.ingress]
        }
    }

    static func decode(_ job: Fields) throws(ConfigError) -> [KubernetesSDConfig] {
        var out: [KubernetesSDConfig] = []
        for item in try job.sequence("kubernetes_sd_configs") ?? [] {
            let fields = try Fields(
                item.node, path: item.path, context: job.context,
                known: ["role", "api_server", "kubeconfig_file", "namespaces", "selectors", "attach_metadata"]
                    + HTTPClientDecoder.keys,
                unsupported: HTTPClientDecoder.unsupported)
            guard let roleText = try fields.string("role"), !roleText.isEmpty else {
                throw fields.missing("role", "role missing (one of: \(roleList))")
            }
            let role = try self.role(roleText, fields, "role")
            var config = KubernetesSDConfig(role: role)
            if let server = try fields.string("api_server"), !server.isEmpty {
                try URLCheck.httpURL(server, fields, "api_server")
                config.apiServer = server
            }
            if let file = try fields.string("kubeconfig_file"), !file.isEmpty {
                config.kubeconfigFile = job.context.resolve(path: file)
            }
            config.httpClient = try HTTPClientDecoder.decode(fields)
            if let ns = try fields.section("namespaces", known: ["names", "own_namespace"]) {
                config.namespaces.names = try ns.stringList("names") ?? []
                config.namespaces.ownNamespace = try ns.bool("own_namespace") ?? false
            }
            if let attach = try fields.section("attach_metadata", known: ["node", "namespace"]) {
                config.attachMetadata.node = try attach.bool("node") ?? false
                config.attachMetadata.namespace = try attach.bool("namespace") ?? false
            }

            let customHTTP = config.httpClient != HTTPClientConfig()
            if config.apiServer != nil, config.kubeconfigFile != nil {
                throw fields.error("kubeconfig_file", "cannot use 'kubeconfig_file' and 'api_server' simultaneously")
            }
            if config.kubeconfigFile != nil, customHTTP {
                throw fields.error(
                    "kubeconfig_file", "cannot use a custom HTTP client configuration together with 'kubeconfig_file'")
            }
            if config.apiServer == nil, customHTTP {
                throw fields.missing(
                    "api_server",
                    "to use custom HTTP client configuration please provide the 'api_server' URL explicitly")
            }
            if config.namespaces.ownNamespace, config.apiServer != nil {
                throw fields.error(
                    "namespaces", "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously")
            }
            if config.namespaces.ownNamespace, config.kubeconfigFile != nil {
                throw fields.error(
                    "namespaces", "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously")
            }

            let allowed = allowedSelectorRoles(role)
            for sel in try fields.sequence("selectors") ?? [] {
                let s = try Fields(sel.node, path: sel.path, context: job.context, known: ["role", "label", "field"])
                let selRole = try self.role(try s.string("role") ?? "", s, "role")
                guard !config.selectors.contains(where: { $0.role == selRole }) else {
                    throw s.error("role", "duplicated selector role: \(selRole.rawValue)")
                }
                guard allowed.contains(selRole) else {
                    throw s.error(
                        "role",
                        "\(role.rawValue) role supports only \(allowed.map(\.rawValue).joined(separator: ", ")) selectors"
                    )
                }
                var selector = KubernetesSDConfig.Selector(role: selRole)
                if let label = try s.string("label"), !label.isEmpty {
                    if let problem = KubeSelectorSyntax.labelSelectorProblem(label) {
                        throw s.error("label", "invalid label selector \(quoted(label)): \(problem)")
                    }
                    selector.label = label
                }
                if let field = try s.string("field"), !field.isEmpty {
                    if let problem = KubeSelectorSyntax.fieldSelectorProblem(field) {
                        throw s.error("field", "invalid field selector \(quoted(field)): \(problem)")
                    }
                    selector.field = field
                }
                config.selectors.append(selector)
            }
            out.append(config)
        }
        return out
    }

    private static func role(_ text: String, _ fields: Fields, _ key: String) throws(ConfigError)
        -> KubernetesSDConfig.Role
    {
        guard let role = KubernetesSDConfig.Role(rawValue: text) else {
            throw fields.error(key, "unknown Kubernetes SD role \(quoted(text)) (one of: \(roleList))")
        }
        return role
    }
}
