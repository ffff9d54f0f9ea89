import AgentConfig
import PromModel

/// What a reload did to the remote-write endpoints.
public struct RemoteWriteReloadResult: Sendable, Equatable {
    public var kept: [String] = []
    public var started: [String] = []
    public var stopped: [String] = []
}

/// An endpoint could not be built (e.g. its TLS files), or storage was built from queues.
public struct RemoteWriteReloadError: Error, CustomStringConvertible {
    public var description: String
}

extension RemoteStorage {
    /// Applies a reloaded configuration (SIGHUP, `/-/reload`): an entry whose name and
    /// settings did not change keeps its queue, position and connections; a changed entry is
    /// stopped (delivering what it can for up to 5 s or `flushTimeout` if shorter; its WAL position saved) and
    /// started again with the new settings from that position; a removed entry is stopped; a
    /// new entry starts reading the WAL from its end. `external_labels` apply to the next
    /// commit.
    /// - Throws: `RemoteWriteReloadError` when a new or changed entry cannot be built; nothing
    ///   is changed then.
    @discardableResult
    public func apply(configs: [RemoteWriteConfig], global: GlobalConfig, flushTimeout: Duration) async throws
        -> RemoteWriteReloadResult
    {
        guard let factory else {
            throw RemoteWriteReloadError(description: "remote storage built from queues cannot be reloaded")
        }
        let names = Self.names(configs)
        let current = state.withLock { $0.endpoints }
        var result = RemoteWriteReloadResult()
        var next: [Endpoint] = []
        var toStart: [Endpoint] = []
        // Build first: a bad entry fails the reload before anything is stopped.
        do {
            for (c, name) in zip(configs, names) {
                if let same = current.first(where: { $0.name == name && $0.config == c }) {
                    next.append(same)
                    result.kept.append(name)
                } else {
                    let (queue, client) = try factory(c, name)
                    let e = Endpoint(config: c, name: name, queue: queue, client: client)
                    next.append(e)
                    toStart.append(e)
                    result.started.append(name)
                }
            }
        } catch {
            for e in toStart { await e.client?.shutdown() }
            throw RemoteWriteReloadError(description: "\(error)")
        }
        let keptIDs = Set(next.map { ObjectIdentifier($0.queue) })
        let toStop = current.filter { !keptIDs.contains(ObjectIdentifier($0.queue)) }
        result.stopped = toStop.map(\.name)
        // Stop before starting: a changed entry's new queue resumes from the saved position.
        await withTaskGroup(of: Void.self) { group in
            for e in toStop {
                group.addTask { await e.queue.stop(within: min(flushTimeout, .seconds(5))) }
            }
        }
        for e in toStop { await e.client?.shutdown() }
        // Rebuild the started queues now that the stopped ones saved their positions: a
        // changed entry resumes where its previous queue stopped (built earlier, it would have
        // read an older position and sent some samples twice).
        for (k, e) in toStart.enumerated() {
            await e.client?.shutdown()
            guard let c = e.config, let (queue, client) = try? factory(c, e.name) else { continue }
            toStart[k].queue = queue
            toStart[k].client = client
            if let j = next.firstIndex(where: { $0.name == e.name }) { next[j] = toStart[k] }
        }
        let externalChanged = state.withLock { s in
            s.endpoints = next
            defer { s.externalLabels = global.externalLabels }
            return s.externalLabels != global.externalLabels
        }
        // Series carry the external labels: appenders define them again with the new ones.
        if externalChanged {
            for w in [wal] + next.map(\.queue.wal) { w.series.setExternalLabels(global.externalLabels) }
        }
        wal.removePositions(except: Set(names))
        for e in toStart { startedQueuesContinuation.yield(e.queue) }
        return result
    }
}
