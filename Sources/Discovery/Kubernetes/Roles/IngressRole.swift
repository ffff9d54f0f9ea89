// The `ingress` role: one target group per ingress, one target per rule path, as Prometheus's
// discovery/kubernetes/ingress.go (`buildIngress`, `ingressLabels`, `matchesHostnamePattern`).

import PromModel

/// The `ingress` role of `kubernetes_sd_configs`.
enum KubeIngressRole {
    /// `__meta_kubernetes_ingress_*` target label names (ingress.go).
    enum LabelName {
        static let scheme = "__meta_kubernetes_ingress_scheme"
        static let host = "__meta_kubernetes_ingress_host"
        static let path = "__meta_kubernetes_ingress_path"
        static let className = "__meta_kubernetes_ingress_class_name"
    }

    /// Every target group of the role, one per ingress in `cache` (sorting is the dispatcher's).
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.ingresses.values.map { group($0, cache: cache, options: options) }
    }

    /// `ingress/<namespace>/<name>`: the source of an ingress's group.
    static func source(_ ingress: KubeIngress) -> String {
        "ingress/\(ingress.metadata.namespace ?? "")/\(ingress.metadata.name)"
    }

    /// The group of one ingress. Labels: `__meta_kubernetes_namespace`, `_ingress_class_name`,
    /// `_ingress_name` and the ingress's labels and annotations, plus the namespace's
    /// (`options.attachNamespace`). Targets, rule by rule: one per path with `__address__` and
    /// `_ingress_host` set to the rule's host, `_ingress_path` (an empty path is `/`; a rule
    /// without `http` gives the single path `/`, one with `http` but no paths gives nothing) and
    /// `_ingress_scheme` (`https` when a TLS host matches the rule's host, `http` otherwise).
    static func group(_ ingress: KubeIngress, cache: KubeCache, options: KubeRoleOptions) -> TargetGroup {
        var labels = [
            KubeLabels.namespace: ingress.metadata.namespace ?? "",
            LabelName.className: ingress.spec?.ingressClassName ?? "",
        ]
        KubeLabels.addObjectMeta(&labels, ingress.metadata, role: "ingress")
        if options.attachNamespace {
            KubeLabels.addNamespace(&labels, namespace: ingress.metadata.namespace, cache: cache)
        }

        let tlsHosts = (ingress.spec?.tls ?? []).flatMap { $0.hosts ?? [] }
        var targets: [Labels] = []
        for rule in ingress.spec?.rules ?? [] {
            let host = rule.host ?? ""
            let scheme = tlsHosts.contains { matchesHostnamePattern($0, host) } ? "https" : "http"
            for path in paths(rule) {
                targets.append(
                    Labels([
                        "__address__": host,
                        LabelName.scheme: scheme,
                        LabelName.host: host,
                        LabelName.path: path,
                    ]))
            }
        }
        return TargetGroup(source: source(ingress), targets: targets, labels: Labels(labels))
    }

    /// The paths of a rule, empty ones as `/`; `["/"]` for a rule without `http`.
    static func paths(_ rule: KubeIngress.Rule) -> [String] {
        guard let http = rule.http else { return ["/"] }
        return (http.paths ?? []).map { p in
            guard let path = p.path, !path.isEmpty else { return "/" }
            return path
        }
    }

    /// Whether `host` equals the TLS host `pattern`, or matches it as a wildcard: a pattern
    /// `*.example.com` matches `a.example.com` (same number of labels, all but the first equal)
    /// but neither `example.com` nor `a.b.example.com`.
    static func matchesHostnamePattern(_ pattern: String, _ host: String) -> Bool {
        if pattern == host { return true }
        let patternParts = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let hostParts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard patternParts.first == "*", patternParts.count == hostParts.count else { return false }
        return patternParts.dropFirst().elementsEqual(hostParts.dropFirst())
    }
}
