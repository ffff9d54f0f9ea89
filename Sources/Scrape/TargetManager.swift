import PromModel

/// Holds the current jobs and the latest discovered targets, and applies them together to
/// the scrape manager: discovery updates use the current jobs, a reload uses the targets
/// discovery knows. Updates are coalesced — while one apply runs, later ones wait, and only
/// the newest state is applied next — and a discovery snapshot older than the one already
/// held (by `version`) is ignored.
public actor TargetManager {
    private let scrape: ScrapeManager
    private var jobs: [ScrapeJob]
    private var discovered: [String: [Labels]] = [:]
    private var discoveredVersion: UInt64 = 0
    private var generation: UInt64 = 0
    private var appliedGeneration: UInt64 = 0
    private var applying = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(scrape: ScrapeManager, jobs: [ScrapeJob]) {
        self.scrape = scrape
        self.jobs = jobs
    }

    /// New discovered targets (from the discovery manager). Returns once they (or a newer
    /// state) have been applied.
    public func update(discovered: [String: [Labels]], version: UInt64) async {
        guard version > discoveredVersion else { return }
        discoveredVersion = version
        self.discovered = discovered
        await push()
    }

    /// New jobs (reload) with the targets discovered for them. Returns once applied.
    public func update(jobs: [ScrapeJob], discovered: [String: [Labels]], version: UInt64) async {
        self.jobs = jobs
        if version >= discoveredVersion {
            discoveredVersion = version
            self.discovered = discovered
        }
        await push()
    }

    private func push() async {
        generation += 1
        let mine = generation
        while applying { await withCheckedContinuation { waiters.append($0) } }
        guard appliedGeneration < mine else {
            wakeNext()
            return
        }
        applying = true
        let (j, d, g) = (jobs, discovered, generation)
        await scrape.apply(jobs: j, discovered: d)
        appliedGeneration = g
        applying = false
        wakeNext()
    }

    private func wakeNext() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
