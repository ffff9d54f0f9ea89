/// Dynamic resharding as Prometheus computes it (`storage/remote/queue_manager.go`
/// `calculateDesiredShards`): every `shardUpdateDuration` the rates of samples in (read from
/// the WAL), out (sent), dropped, and the time spent sending are smoothed (EWMA, α 0.2);
/// the shards needed are `timePerSample × (inRate × keptRatio + 5 % of the backlog)`,
/// changed only past a 30 % tolerance, never below `min_shards` or above `max_shards`, and
/// never down while more than 10 s behind. A plain value, tested without I/O.
struct ShardCalculator {
    static let tolerance = 0.3
    static let alpha = 0.2

    private(set) var inRate = EWMA()
    private(set) var outRate = EWMA()
    private(set) var droppedRate = EWMA()
    private(set) var outDuration = EWMA()
    /// The last computed (unrounded) desired shards, for `prometheus_remote_storage_shards_desired`.
    private(set) var desired: Double = 0

    struct EWMA {
        var rate: Double = 0
        var initialised = false
        var pending: Double = 0
        mutating func tick(seconds: Double) {
            let instant = pending / seconds
            pending = 0
            if initialised {
                rate += ShardCalculator.alpha * (instant - rate)
            } else {
                rate = instant
                initialised = true
            }
        }
    }

    mutating func samplesIn(_ n: Int) { inRate.pending += Double(n) }
    mutating func samplesOut(_ n: Int, sendSeconds: Double) {
        outRate.pending += Double(n)
        outDuration.pending += sendSeconds
    }
    mutating func samplesDropped(_ n: Int) { droppedRate.pending += Double(n) }

    /// Ends an update period of `seconds` and returns the number of shards to run.
    /// - Parameters:
    ///   - current: shards running now.
    ///   - delaySeconds: highest timestamp in the WAL minus highest sent.
    mutating func desiredShards(current: Int, minShards: Int, maxShards: Int, delaySeconds: Double, seconds: Double)
        -> Int
    {
        inRate.tick(seconds: seconds)
        outRate.tick(seconds: seconds)
        droppedRate.tick(seconds: seconds)
        outDuration.tick(seconds: seconds)
        let dataIn = inRate.rate
        let dataOut = outRate.rate
        guard dataOut > 0 else { return current }
        let keptRatio = dataOut / (droppedRate.rate + dataOut)
        let pending = max(0, delaySeconds) * dataIn * keptRatio
        let catchup = 0.05 * pending
        let timePerSample = outDuration.rate / dataOut
        desired = timePerSample * (dataIn * keptRatio + catchup)
        let lower = Double(current) * (1 - Self.tolerance)
        let upper = Double(current) * (1 + Self.tolerance)
        let rounded = desired.rounded(.up)
        if lower <= rounded && rounded <= upper { return current }
        var n = Int(min(rounded, 1e6))
        if n < current && delaySeconds > 10 { return current }
        n = min(max(n, max(1, minShards)), max(1, minShards, maxShards))
        return n
    }
}
