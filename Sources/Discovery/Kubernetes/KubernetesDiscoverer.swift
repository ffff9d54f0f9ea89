import AgentConfig
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `kubernetes_sd_configs`: targets from the Kubernetes API, with the target groups and
/// `__meta_kubernetes_*` labels of Prometheus's `discovery/kubernetes`.
///
/// The role decides what is watched: its own kind in each configured namespace (all when none),
/// plus pods and services for `endpoints` / `endpointslice`, nodes for `attach_metadata.node`,
/// namespaces for `attach_metadata.namespace`. Informers are shared through
/// `KubeInformerHub`. After every informer's first LIST (or its failure), and then after every
/// change, the role's target groups are rebuilt from what the informers hold and sent when they
/// differ. While the API server is unreachable the last known objects, and so the targets, are
/// kept.
public final class KubernetesDiscoverer: Discoverer {
    let config: KubernetesSDConfig
    let connection: KubeConnection
    let hub: KubeInformerHub
    let metrics: KubeMetrics
    let logger: Logger
    /// What the informers this discoverer creates back off on.
    let clock: any Clock<Duration>

    /// - Parameters:
    ///   - environment: `KUBERNETES_SERVICE_HOST` / `_PORT` for the in-cluster connection.
    ///   - serviceAccountDirectory: the in-cluster token, CA and namespace files.
    ///   - clock: what the informers it creates wait on between failed requests.
    /// - Throws: `KubeAPIError` when the connection cannot be set up (not in a cluster, an
    ///   unreadable kubeconfig, a kubeconfig with an exec plugin).
    public init(
        config: KubernetesSDConfig, metrics: DiscoveryMetrics, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = "/var/run/secrets/kubernetes.io/serviceaccount",
        clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        self.config = config
        self.clock = clock
        self.connection = try KubeConnection.resolve(
            config, environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        self.hub = .shared
        self.metrics = KubeMetrics(registry: metrics.registry)
        self.logger = logger
        self.metrics.initialize()
    }

    init(
        config: KubernetesSDConfig, connection: KubeConnection, hub: KubeInformerHub, metrics: KubeMetrics,
        logger: Logger, clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.config = config
        self.clock = clock
        self.connection = connection
        self.hub = hub
        self.metrics = metrics
        self.logger = logger
        metrics.initialize()
    }

    /// The namespaces to watch: `nil` = all.
    var namespaces: [String?] {
        var names = config.namespaces.names
        if config.namespaces.ownNamespace, let own = connection.ownNamespace, !names.contains(own) { names.append(own) }
        return names.isEmpty ? [nil] : names
    }

    func selector(_ role: KubernetesSDConfig.Role) -> (label: String?, field: String?) {
        let s = config.selectors.first { $0.role == role }
        return (s?.label, s?.field)
    }

    /// With a pod field selector `spec.nodeName=X` (a DaemonSet's own node), the node informer of
    /// `attach_metadata.node` watches only node X.
    var nodeFieldSelector: String? {
        guard config.role == .pod, let field = selector(.pod).field else { return nil }
        for term in field.split(separator: ",") {
            for op in ["==", "="] {
                let prefix = "spec.nodeName" + op
                if term.hasPrefix(prefix), !term.hasPrefix("spec.nodeName!=") {
                    return "metadata.name=" + term.dropFirst(prefix.count)
                }
            }
        }
        return nil
    }

    public func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        let role = KubeRole(rawValue: config.role.rawValue) ?? .pod
        let options = KubeRoleOptions(
            attachNode: config.attachMetadata.node, attachNamespace: config.attachMetadata.namespace)
        var informers: [any KubeInformerProtocol] = []
        do {
            informers = try acquireInformers(role)
        } catch {
            logger.error("cannot start Kubernetes discovery", metadata: ["err": "\(error)"])
            for i in informers { await hub.release(i) }
            await send([])
            return
        }
        let changes = KubeChangeSet()
        let ids = informers.map { $0.subscribe(changes) }
        changes.wake()
        // Groups by primary object key. A change to primary objects rebuilds their groups only;
        // a change to anything else (pods of an endpoints role, nodes, namespaces) or a LIST
        // rebuilds all.
        var byKey: [String: TargetGroup]? = nil
        var lastSent: [TargetGroup]? = nil
        await withTaskCancellationHandler {
            for await _ in changes.wakes {
                guard informers.allSatisfy(\.attempted) else { continue }
                let changed = changes.take()
                var cache = KubeCache()
                for i in informers { i.fill(&cache) }
                let incremental =
                    byKey != nil && changed.resources.subtracting([role.primary]).isEmpty
                    && !changed.everything.contains(role.primary)
                if incremental, var groups = byKey.take() {
                    for key in changed.keys[role.primary] ?? [] {
                        groups[key] = role.group(key: key, cache: cache, options: options)
                    }
                    byKey = groups
                } else {
                    byKey = role.groupsByKey(cache: cache, options: options)
                }
                let groups = (byKey ?? [:]).values.sorted { $0.source < $1.source }
                if groups != lastSent {
                    lastSent = groups
                    await send(groups)
                }
            }
        } onCancel: {
            changes.finish()
        }
        for (i, id) in zip(informers, ids) {
            i.unsubscribe(id)
            await hub.release(i)
        }
    }

    private func acquireInformers(_ role: KubeRole) throws -> [any KubeInformerProtocol] {
        var out: [any KubeInformerProtocol] = []
        func add<T: KubeObject>(
            _ type: T.Type, _ resource: KubeResource, _ namespace: String?, _ selectorRole: KubernetesSDConfig.Role?,
            _ keyPath: WritableKeyPath<KubeCache, [String: T]> & Sendable, field: String? = nil
        ) throws {
            let s: (label: String?, field: String?) = selectorRole.map(selector) ?? (nil, nil)
            let key = KubeInformer<T>.Key(
                resource: resource, namespace: namespace, labelSelector: s.label, fieldSelector: field ?? s.field)
            out.append(
                try hub.acquire(
                    type, connection: connection, key: key, into: keyPath, metrics: metrics, logger: logger,
                    clock: clock))
        }
        for ns in namespaces {
            switch role {
            case .node: break
            case .pod: try add(KubePod.self, .pods, ns, .pod, \.pods)
            case .service: try add(KubeService.self, .services, ns, .service, \.services)
            case .ingress: try add(KubeIngress.self, .ingresses, ns, .ingress, \.ingresses)
            case .endpoints:
                try add(KubeEndpoints.self, .endpoints, ns, .endpoints, \.endpoints)
                try add(KubeService.self, .services, ns, .service, \.services)
                try add(KubePod.self, .pods, ns, .pod, \.pods)
            case .endpointslice:
                try add(KubeEndpointSlice.self, .endpointslices, ns, .endpointslice, \.endpointSlices)
                try add(KubeService.self, .services, ns, .service, \.services)
                try add(KubePod.self, .pods, ns, .pod, \.pods)
            }
        }
        if role == .node { try add(KubeNode.self, .nodes, nil, .node, \.nodes) }
        if config.attachMetadata.node, [.pod, .endpoints, .endpointslice].contains(role) {
            try add(KubeNode.self, .nodes, nil, nil, \.nodes, field: nodeFieldSelector)
        }
        if config.attachMetadata.namespace, role != .node {
            try add(KubeNamespace.self, .namespaces, nil, nil, \.namespaces)
        }
        return out
    }
}
