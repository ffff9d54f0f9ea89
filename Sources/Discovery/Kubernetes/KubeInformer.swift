import Logging
import Synchronization

/// What a discoverer needs of an informer, whatever its object type.
protocol KubeInformerProtocol: AnyObject, Sendable {
    var resource: KubeResource { get }
    /// The first LIST has been tried (it may have failed).
    var attempted: Bool { get }
    /// Registers a change signal; returns its id for `unsubscribe`.
    func subscribe(_ signal: AsyncStream<Void>.Continuation) -> Int
    func unsubscribe(_ id: Int)
    /// Copies the objects this informer holds into `cache`.
    func fill(_ cache: inout KubeCache)
    func start()
    func stop() async
}

/// A LIST then WATCH loop over one resource kind, in one namespace (or all), with one label
/// and field selector, keeping the objects in memory: client-go's reflector and store,
/// reduced to what discovery needs.
///
/// - LIST (paginated) replaces the store and records the list's `resourceVersion`; objects
///   no longer listed are removed, so a relist after a gap loses no deletion.
/// - WATCH from that version with `allowWatchBookmarks`, with a random 5–10 min
///   `timeoutSeconds` as client-go; ADDED / MODIFIED / DELETED update the store, BOOKMARK
///   only the version; a stream that ends is watched again from the last version.
/// - `410 Gone` (HTTP or a watch `ERROR` event): LIST again at once. Any other failure is
///   logged and counted in `prometheus_sd_kubernetes_failures_total`, and retried after a
///   back-off of 1 s doubling to 30 s; the objects already known are kept meanwhile.
/// - Every change wakes the subscribers (a discoverer rebuilds its target groups).
final class KubeInformer<T: KubeObject>: KubeInformerProtocol {
    struct Key: Equatable, Sendable {
        var resource: KubeResource
        var namespace: String?
        var labelSelector: String?
        var fieldSelector: String?
    }

    private struct State {
        var objects: [String: T] = [:]
        var attempted = false
        var subscribers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextID = 0
        var task: Task<Void, Never>?
    }

    let key: Key
    var resource: KubeResource { key.resource }
    let api: KubeAPI
    let metrics: KubeMetrics
    let logger: Logger
    let keyPath: WritableKeyPath<KubeCache, [String: T]> & Sendable
    let backoff: (initial: Duration, max: Duration)
    private let state = Mutex(State())

    init(
        key: Key, api: KubeAPI, into keyPath: WritableKeyPath<KubeCache, [String: T]> & Sendable, metrics: KubeMetrics,
        logger: Logger, backoff: (initial: Duration, max: Duration) = (.seconds(1), .seconds(30))
    ) {
        self.key = key
        self.api = api
        self.keyPath = keyPath
        self.metrics = metrics
        self.backoff = backoff
        var l = logger
        l[metadataKey: "resource"] = "\(key.resource.rawValue)"
        if let ns = key.namespace { l[metadataKey: "namespace"] = "\(ns)" }
        self.logger = l
    }

    var attempted: Bool { state.withLock { $0.attempted } }

    var count: Int { state.withLock { $0.objects.count } }

    func subscribe(_ signal: AsyncStream<Void>.Continuation) -> Int {
        state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = signal
            return id
        }
    }

    func unsubscribe(_ id: Int) { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }

    func fill(_ cache: inout KubeCache) {
        let objects = state.withLock { $0.objects }
        if cache[keyPath: keyPath].isEmpty {
            cache[keyPath: keyPath] = objects
        } else {
            cache[keyPath: keyPath].merge(objects) { _, new in new }
        }
    }

    func start() {
        state.withLock { s in
            guard s.task == nil else { return }
            s.task = Task { [self] in await self.run() }
        }
    }

    func stop() async {
        let task = state.withLock { s in
            let t = s.task
            s.task = nil
            return t
        }
        task?.cancel()
        await task?.value
    }

    private func notify() {
        let subs = state.withLock { Array($0.subscribers.values) }
        for s in subs { s.yield() }
    }

    private func run() async {
        var version: String? = nil
        var delay = backoff.initial
        while !Task.isCancelled {
            do {
                if version == nil {
                    version = try await relist()
                }
                let timeout = Int.random(in: 300...600)
                let began = ContinuousClock.now
                var events = 0
                try await api.watch(
                    key.resource, namespace: key.namespace, labelSelector: key.labelSelector,
                    fieldSelector: key.fieldSelector, resourceVersion: version ?? "", timeoutSeconds: timeout,
                    as: T.self
                ) { event in
                    events += 1
                    version = self.apply(event) ?? version
                }
                // A stream closed at once with nothing in it (a proxy or a restarting server) is
                // a failure, as client-go's "very short watch": back off rather than spin.
                if events == 0, ContinuousClock.now - began < .seconds(1) {
                    throw KubeAPIError(
                        description:
                            "WATCH \(key.resource.rawValue): the server closed the watch at once, with no event")
                }
                delay = backoff.initial
            } catch is CancellationError {
                break
            } catch let error as KubeAPIError where error.isGone {
                if Task.isCancelled { break }
                logger.info("resource version too old; listing again", metadata: ["err": "\(error)"])
                version = nil
            } catch {
                if Task.isCancelled { break }
                metrics.failures.increment()
                logger.error(
                    "Kubernetes API request failed; keeping the known objects and retrying",
                    metadata: ["err": "\(error)", "retry_in": "\(delay)"])
                let first = state.withLock { s in
                    defer { s.attempted = true }
                    return !s.attempted
                }
                if first { notify() }
                do { try await Task.sleep(for: delay) } catch { break }
                delay = min(delay * 2, backoff.max)
            }
        }
    }

    /// LIST, replacing the store; returns the list's resource version.
    private func relist() async throws -> String {
        let (items, version) = try await api.list(
            key.resource, namespace: key.namespace, labelSelector: key.labelSelector,
            fieldSelector: key.fieldSelector, as: T.self)
        var fresh: [String: T] = [:]
        fresh.reserveCapacity(items.count)
        for item in items { fresh[item.metadata.key] = item }
        let (added, updated, deleted) = state.withLock { s in
            var added = 0
            var updated = 0
            for (k, v) in fresh {
                if let old = s.objects[k] {
                    if old != v { updated += 1 }
                } else {
                    added += 1
                }
            }
            let deleted = s.objects.keys.reduce(0) { $0 + (fresh[$1] == nil ? 1 : 0) }
            s.objects = fresh
            s.attempted = true
            return (added, updated, deleted)
        }
        metrics.events(key.resource, "add").increment(by: Int64(added))
        metrics.events(key.resource, "update").increment(by: Int64(updated))
        metrics.events(key.resource, "delete").increment(by: Int64(deleted))
        logger.debug("listed", metadata: ["objects": "\(items.count)", "resource_version": "\(version)"])
        notify()
        return version
    }

    /// Applies one watch event; returns the new resource version, if the event has one.
    private func apply(_ event: KubeAPI.Event<T>) -> String? {
        switch event {
        case .bookmark(let rv):
            return rv
        case .added(let o), .modified(let o):
            let existed = state.withLock { s in s.objects.updateValue(o, forKey: o.metadata.key) != nil }
            metrics.events(key.resource, existed ? "update" : "add").increment()
            notify()
            return o.metadata.resourceVersion
        case .deleted(let o):
            _ = state.withLock { s in s.objects.removeValue(forKey: o.metadata.key) }
            metrics.events(key.resource, "delete").increment()
            notify()
            return o.metadata.resourceVersion
        }
    }
}
