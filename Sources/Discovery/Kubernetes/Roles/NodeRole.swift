// The `node` role: one target per node, its kubelet endpoint, as Prometheus's
// discovery/kubernetes/node.go (`buildNode`, `nodeLabels`, `nodeAddress`).

import PromModel

/// The `node` role of `kubernetes_sd_configs`.
enum KubeNodeRole {
    /// `__meta_kubernetes_node_provider_id`: the cloud provider's name for the node.
    static let providerIDLabel = "__meta_kubernetes_node_provider_id"
    /// Prefix of `__meta_kubernetes_node_address_<type>`: the first address of each type.
    static let addressPrefix = "__meta_kubernetes_node_address_"

    /// The address types a target's host is taken from, most preferred first (node.go
    /// `nodeAddress`, after Kubernetes's own node utilities).
    static let addressPreference = [
        "InternalIP", "InternalDNS", "ExternalIP", "ExternalDNS", "LegacyHostIP", "Hostname",
    ]

    /// Every target group of the role, one per node in `cache` that has a usable address
    /// (sorting is the dispatcher's).
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] {
        cache.nodes.values.compactMap { group($0) }
    }

    /// `node/<name>`: the source of a node's group.
    static func source(_ node: KubeNode) -> String { "node/\(node.metadata.name)" }

    /// The group of one node: labels `__meta_kubernetes_node_name`, `_provider_id` and the node's
    /// labels and annotations; one target `<address>:<kubelet port>` (IPv6 bracketed, port 0
    /// when the node reports none) with `instance` set to the node name and one
    /// `__meta_kubernetes_node_address_<type>` label per address type.
    ///
    /// - Returns: nil when the node has no address of a known type. Prometheus then sends
    ///   nothing for the node, so it yields no group (not even an empty one).
    static func group(_ node: KubeNode) -> TargetGroup? {
        let addresses = node.status?.addresses ?? []
        guard let host = preferredAddress(addresses) else { return nil }
        var labels: [String: String] = [providerIDLabel: node.spec?.providerID ?? ""]
        KubeLabels.addObjectMeta(&labels, node.metadata, role: "node")

        let port = node.status?.daemonEndpoints?.kubeletEndpoint?.port ?? 0
        var target: [String: String] = [
            "__address__": KubeLabels.joinHostPort(host, port),
            "instance": node.metadata.name,
        ]
        // The first address of each type, in the order the node lists them.
        for a in addresses.reversed() {
            target[KubeLabels.sanitize(addressPrefix + a.type)] = a.address
        }
        return TargetGroup(source: source(node), targets: [Labels(target)], labels: Labels(labels))
    }

    /// The first address of the most preferred type present (`addressPreference`), or nil.
    static func preferredAddress(_ addresses: [KubeNode.Address]) -> String? {
        for type in addressPreference {
            if let a = addresses.first(where: { $0.type == type }) { return a.address }
        }
        return nil
    }
}
