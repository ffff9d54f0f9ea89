import Logging
import PromModel
import Synchronization

/// What a discoverer needs of an informer, whatever its object type.
protocol KubeInformerProtocol: AnyObject, Sendable {
    var resource: KubeResource { get }
    /// The first LIST has been tried (it may have failed).
    var attempted: Bool { get }
    /// Registers a change set to mark and wake on every change; returns its id for
    /// `unsubscribe`.
    func subscribe(_ changes: KubeChangeSet) -> Int
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
        var subscribers: [Int: KubeChangeSet] = [:]
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
    /// What the back-off waits on and watches are timed by.
    let clock: any Clock<Duration>
    private let state = Mutex(State())

    init(
        key: Key, api: KubeAPI, into keyPath: WritableKeyPath<KubeCache, [String: T]> & Sendable, metrics: KubeMetrics,
        logger: Logger, backoff: (initial: Duration, max: Duration) = (.seconds(1), .seconds(30)),
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.key = key
        self.clock = clock
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

    func subscribe(_ changes: KubeChangeSet) -> Int {
        state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = changes
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

    /// Marks `key` (nil: every object) changed in every subscriber's change set and wakes it.
    private func notify(_ objectKey: String?) {
        let subs = state.withLock { Array($0.subscribers.values) }
        let resource = key.resource
        for s in subs { s.mark(resource, objectKey) }
    }

    private func run() async {
        var version: String? = nil
        var policy = KubeBackoff(initial: backoff.initial, max: backoff.max)
        var failing = false
        while !Task.isCancelled {
            let began = ClockTimeline(clock)
            var events = 0
            do {
                if version == nil {
                    version = try await relist()
                    if failing { recovered(&failing) }
                }
                let timeout = Int.random(in: 300...600)
                let watchBegan = ClockTimeline(clock)
                try await api.watch(
                    key.resource, namespace: key.namespace, labelSelector: key.labelSelector,
                    fieldSelector: key.fieldSelector, resourceVersion: version ?? "", timeoutSeconds: timeout,
                    as: T.self
                ) { event in
                    events += 1
                    if failing { self.recovered(&failing) }
                    version = self.apply(event) ?? version
                }
                // A stream closed at once with nothing in it (a proxy or a restarting server) is
                // a failure, as client-go's "very short watch": back off rather than spin.
                if events == 0, watchBegan.elapsed() < .seconds(1) {
                    throw KubeAPIError(
                        description:
                            "WATCH \(key.resource.rawValue): the server closed the watch at once, with no event")
                }
                policy.succeeded()
                if failing { recovered(&failing) }
            } catch is CancellationError {
                break
            } catch let error as KubeAPIError where error.isGone {
                if Task.isCancelled { break }
                logger.info("resource version too old; listing again", metadata: ["err": "\(error)"])
                version = nil
            } catch {
                if Task.isCancelled { break }
                metrics.failures.increment()
                failing = true
                let delay = policy.failed(events: events, ran: began.elapsed())
                logger.error(
                    "Kubernetes API request failed; keeping the known objects and retrying",
                    metadata: ["err": "\(error)", "retry_in": "\(delay)"])
                let first = state.withLock { s in
                    defer { s.attempted = true }
                    return !s.attempted
                }
                if first { notify(nil) }
                do { try await clock.sleep(for: delay) } catch { break }
            }
        }
    }

    /// Logs once that requests succeed again after failures.
    private func recovered(_ failing: inout Bool) {
        failing = false
        logger.info("Kubernetes API requests succeed again")
    }

    /// LIST, replacing the store; returns the list's resource version.
    private func relist() async throws -> String {
        let (items, version) = try await api.list(
            key.resource, namespace: key.namespace, labelSelector: key.labelSelector,
            fieldSelector: key.fieldSelector, as: T.self)
        var fresh: [String: T] = [:]
        fresh.reserveCapacity(items.count)
        for item in items { fresh[item.metadata.key] = item }
        let (added, updated, deleted, first) = state.withLock { s in
            let first = !s.attempted
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
            return (added, updated, deleted, first)
        }
        metrics.events(key.resource, "add").increment(by: Int64(added))
        metrics.events(key.resource, "update").increment(by: Int64(updated))
        metrics.events(key.resource, "delete").increment(by: Int64(deleted))
        logger.debug("listed", metadata: ["objects": "\(items.count)", "resource_version": "\(version)"])
        if added + updated + deleted > 0 || first { notify(nil) }
        return version
    }

    /// Applies one watch event; returns the new resource version, if the event has one. A
    /// MODIFIED object equal to the stored one in every field kept (a status heartbeat, a
    /// field no label reads) is counted but wakes nobody.
    private func apply(_ event: KubeAPI.Event<T>) -> String? {
        switch event {
        case .bookmark(let rv):
            return rv
        case .added(let o), .modified(let o):
            let key = o.metadata.key
            let old = state.withLock { s in s.objects.updateValue(o, forKey: key) }
            metrics.events(self.key.resource, old == nil ? "add" : "update").increment()
            if old != o { notify(key) }
            return o.metadata.resourceVersion
        case .deleted(let o):
            let key = o.metadata.key
            let old = state.withLock { s in s.objects.removeValue(forKey: key) }
            metrics.events(self.key.resource, "delete").increment()
            if old != nil { notify(key) }
            return o.metadata.resourceVersion
        }
    }
}

/// What changed in the informers of one discoverer since it last looked: a set of object keys
/// per resource, or every object of a resource (after a LIST). Marking wakes the discoverer's
/// loop; many marks between two looks are merged.
final class KubeChangeSet: Sendable {
    struct Changes: Sendable {
        var everything: Set<KubeResource> = []
        var keys: [KubeResource: Set<String>] = [:]
        var isEmpty: Bool { everything.isEmpty && keys.isEmpty }
        /// Resources with any change.
        var resources: Set<KubeResource> { everything.union(keys.keys) }
    }

    private let pending = Mutex(Changes())
    private let signal: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>

    init() {
        (wakes, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Marks `key` of `resource` changed (nil: every object of it) and wakes the loop.
    func mark(_ resource: KubeResource, _ key: String?) {
        pending.withLock { c in
            if let key {
                if !c.everything.contains(resource) { c.keys[resource, default: []].insert(key) }
            } else {
                c.everything.insert(resource)
                c.keys[resource] = nil
            }
        }
        signal.yield()
    }

    /// Wakes the loop without a change (its first look).
    func wake() { signal.yield() }

    /// Ends `wakes`.
    func finish() { signal.finish() }

    /// The changes since the last call, clearing them.
    func take() -> Changes {
        pending.withLock { c in
            defer { c = Changes() }
            return c
        }
    }
}
