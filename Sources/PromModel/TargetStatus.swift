/// Health of a target after its last scrape, as Prometheus's `/api/v1/targets` reports it.
public enum TargetHealth: String, Sendable {
    case up, down, unknown
}

/// A read-only snapshot of one target's scrape state, for the status pages and API.
public struct TargetStatus: Sendable {
    /// The scrape pool (job name).
    public var scrapePool: String
    /// The URL scraped.
    public var scrapeURL: String
    /// Labels before relabeling (as discovered, including `__` labels).
    public var discoveredLabels: Labels
    /// Target labels after relabeling (those attached to every sample).
    public var labels: Labels
    public var health: TargetHealth
    /// The last error, "" when the last scrape succeeded.
    public var lastError: String
    /// A warning about the last scrape (e.g. Content-Type fallback), "" when none.
    public var lastWarning: String
    /// Start of the last scrape, ms since the epoch; 0 before the first scrape.
    public var lastScrapeMs: Int64
    /// Duration of the last scrape in seconds.
    public var lastScrapeDurationSeconds: Double
    /// Samples appended by the last scrape (after metric relabeling).
    public var lastSamples: Int
    public var scrapeIntervalSeconds: Double
    public var scrapeTimeoutSeconds: Double
    /// Metadata (TYPE, HELP, UNIT) of the families the last scrapes exposed, by family name:
    /// `/api/v1/targets/metadata`. Copy-on-write, so snapshots share the loop's storage.
    public var metadata: [String: MetricMetadata] = [:]

    public init(
        scrapePool: String, scrapeURL: String, discoveredLabels: Labels, labels: Labels,
        health: TargetHealth = .unknown, lastError: String = "", lastWarning: String = "",
        lastScrapeMs: Int64 = 0, lastScrapeDurationSeconds: Double = 0, lastSamples: Int = 0,
        scrapeIntervalSeconds: Double, scrapeTimeoutSeconds: Double
    ) {
        self.scrapePool = scrapePool
        self.scrapeURL = scrapeURL
        self.discoveredLabels = discoveredLabels
        self.labels = labels
        self.health = health
        self.lastError = lastError
        self.lastWarning = lastWarning
        self.lastScrapeMs = lastScrapeMs
        self.lastScrapeDurationSeconds = lastScrapeDurationSeconds
        self.lastSamples = lastSamples
        self.scrapeIntervalSeconds = scrapeIntervalSeconds
        self.scrapeTimeoutSeconds = scrapeTimeoutSeconds
    }
}

/// The narrow read-only view of scrape state the web side uses.
public protocol TargetStatusProvider: Sendable {
    /// Active targets, in scrape-pool then URL order.
    func activeTargets() -> [TargetStatus]
    /// Targets dropped by `relabel_configs` (at most `keep_dropped_targets` per pool when that
    /// is set): discovered labels and pool.
    func droppedTargets() -> [(scrapePool: String, discoveredLabels: Labels)]
    /// Number of targets dropped per pool, including those not kept (`droppedTargetCounts`).
    func droppedTargetCounts() -> [String: Int]
    /// Every scrape pool's name, sorted, including pools without targets.
    func scrapePools() -> [String]
}

extension TargetStatusProvider {
    public func droppedTargetCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for p in scrapePools() { counts[p] = 0 }
        for d in droppedTargets() { counts[d.scrapePool, default: 0] += 1 }
        return counts
    }

    public func scrapePools() -> [String] {
        Set(activeTargets().map(\.scrapePool) + droppedTargets().map(\.scrapePool)).sorted()
    }
}
