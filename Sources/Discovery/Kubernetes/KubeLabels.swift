// Label helpers every Kubernetes role shares, as Prometheus's `discovery/kubernetes`
// (`addObjectMetaLabels`, `addNodeLabels`, the namespace metadata of `attach_metadata`).

/// Target labels the Kubernetes roles build from object metadata.
enum KubeLabels {
    static let prefix = "__meta_kubernetes_"
    /// `__meta_kubernetes_namespace`: every namespaced role's group carries it.
    static let namespace = "__meta_kubernetes_namespace"
    /// The value of every `*_labelpresent_*` / `*_annotationpresent_*` label.
    static let present = "true"

    /// Prometheus's `strutil.SanitizeLabelName`: every character outside `[a-zA-Z0-9_]`
    /// becomes `_` (so `app.kubernetes.io/name` → `app_kubernetes_io_name`).
    static func sanitize(_ name: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(name.unicodeScalars.count)
        for s in name.unicodeScalars {
            switch s {
            case "a"..."z", "A"..."Z", "0"..."9", "_": out.unicodeScalars.append(s)
            default: out.unicodeScalars.append("_")
            }
        }
        return out
    }

    /// `host:port` as Go's `net.JoinHostPort`: a host containing `:` (an IPv6 address) is
    /// bracketed, so `::1` and 9000 give `[::1]:9000`.
    static func joinHostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `__meta_kubernetes_<role>_name` plus the object's labels and annotations
    /// (`addObjectMetaLabels`).
    static func addObjectMeta(_ labels: inout [String: String], _ meta: KubeObjectMeta, role: String) {
        labels[prefix + role + "_name"] = meta.name
        addLabelsAndAnnotations(&labels, meta, role: role)
    }

    /// `__meta_kubernetes_<role>_label_<name>`, `_labelpresent_<name>`, `_annotation_<name>` and
    /// `_annotationpresent_<name>` for every label and annotation of the object, names sanitized.
    static func addLabelsAndAnnotations(_ labels: inout [String: String], _ meta: KubeObjectMeta, role: String) {
        for (k, v) in meta.labels ?? [:] {
            let n = sanitize(k)
            labels[prefix + role + "_label_" + n] = v
            labels[prefix + role + "_labelpresent_" + n] = present
        }
        for (k, v) in meta.annotations ?? [:] {
            let n = sanitize(k)
            labels[prefix + role + "_annotation_" + n] = v
            labels[prefix + role + "_annotationpresent_" + n] = present
        }
    }

    /// `attach_metadata.node`: the labels of the node named `nodeName`, when the cache holds it
    /// (`addNodeLabels`); nothing otherwise. Existing labels of the same name are overwritten.
    static func addNode(_ labels: inout [String: String], nodeName: String?, cache: KubeCache) {
        guard let nodeName, let node = cache.nodes[nodeName] else { return }
        addObjectMeta(&labels, node.metadata, role: "node")
    }

    /// `attach_metadata.namespace`: the labels and annotations of the namespace, when the
    /// cache holds it; nothing otherwise.
    static func addNamespace(_ labels: inout [String: String], namespace: String?, cache: KubeCache) {
        guard let namespace, let ns = cache.namespaces[namespace] else { return }
        addLabelsAndAnnotations(&labels, ns.metadata, role: "namespace")
    }
}
