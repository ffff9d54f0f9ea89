/// The control state of one queue manager, in the style of async-http-client's
/// `Transaction+StateMachine`: a plain value whose mutating event methods return the action the
/// I/O shell (`QueueManager`) must take. It holds the lifecycle (running, resharding, draining
/// until a deadline, stopped), the ack tracking (`AckTracker`), the shard calculation's inputs
/// (`ShardCalculator`) and the few figures sends report. Time is an input (`now`, an offset on
/// the queue's clock), so it is tested without I/O and without time.
///
/// The shell holds it behind one `Mutex`; every event is one short critical section.
struct QueueStateMachine {
    private enum State: Equatable {
        /// Built; `run()` has not started. A stop requested now is remembered (its deadline).
        case idle(stopDeadline: Duration?)
        case running
        /// The reader ends its round, the shards drain, then this many shards start.
        case resharding(to: Int)
        /// A stop was requested: read to the end of the WAL, deliver until the deadline.
        case draining(deadline: Duration)
        /// `run()` has finished.
        case stopped
    }

    /// The queue settings the decisions depend on.
    struct Limits: Equatable {
        var minShards: Int
        var maxShards: Int
        /// How often the shard count is recomputed; no reshard after two periods without a success.
        var shardUpdateInterval: Duration
    }

    private var state: State = .idle(stopDeadline: nil)
    // Not private: the `+Sends` facet (another file) updates them; the shell only reads
    // `tracker.acked`, `shards`, `deadline` and `limits`.
    let limits: Limits
    var tracker: AckTracker
    var calculator = ShardCalculator()
    /// Shards running now.
    private(set) var shards: Int
    /// The highest timestamp delivered, for the shard calculation's delay (ms, `.min`: none).
    var highestSentMs: Int64 = .min
    /// When a send last succeeded (on the queue's clock).
    var lastSuccess: Duration = .zero
    var savedPosition: ReaderPosition
    /// Per-shard positions saved by the previous run: kept while still ahead of `acked`.
    let resumedShardings: [[ShardPosition]]
    var lastLoudLog: Duration?
    private var finishWaiters = WaitList()

    /// - Parameters:
    ///   - start: the position saved by the previous run (where reading starts).
    ///   - resumedShardings: its per-shard positions (see `DeliveredFilter`).
    init(start: ReaderPosition, resumedShardings: [[ShardPosition]], limits: Limits) {
        self.limits = limits
        shards = max(1, limits.minShards)
        tracker = AckTracker(start: start.acked, shards: shards)
        savedPosition = start
        self.resumedShardings = resumedShardings
    }

    /// The lifecycle phase, for logs and tests.
    enum Phase: Equatable {
        case idle, running, resharding, draining, stopped
    }

    var phase: Phase {
        switch state {
        case .idle: .idle
        case .running: .running
        case .resharding: .resharding
        case .draining: .draining
        case .stopped: .stopped
        }
    }

    // MARK: - Lifecycle

    enum StartAction: Equatable {
        /// Run the reader, the shards and the background tasks.
        case run
        /// Already running or finished: `run()` returns at once.
        case none
    }

    /// `run()` begins.
    mutating func start() -> StartAction {
        guard case .idle(let d) = state else { return .none }
        state = d.map { .draining(deadline: $0) } ?? .running
        return .run
    }

    enum StopAction: Equatable {
        /// Not running: nothing to wait for.
        case returnNow
        /// Wake the reader (it reads to the end, then closes the shards), re-arm the deadline
        /// timer if `deadlineMoved`, and park the caller under `waiter` (if it registered one)
        /// until `finished()`.
        case stopping(deadlineMoved: Bool, waiter: Int?)
    }

    /// A stop is requested (graceful shutdown, `stop(deadline:)`, a reload): deliver until
    /// `deadline` (the earliest of all requests wins). `registerWaiter`: the caller waits for
    /// the end of the run.
    mutating func stopRequested(deadline: Duration, registerWaiter: Bool) -> StopAction {
        let moved: Bool
        switch state {
        case .idle(let d):
            state = .idle(stopDeadline: min(d ?? deadline, deadline))
            return .returnNow
        case .stopped:
            return .returnNow
        case .running, .resharding:
            state = .draining(deadline: deadline)
            moved = true
        case .draining(let d):
            state = .draining(deadline: min(d, deadline))
            moved = deadline < d
        }
        return .stopping(deadlineMoved: moved, waiter: registerWaiter ? finishWaiters.register() : nil)
    }

    /// Parks a stop caller; true when it must be resumed at once (finished meanwhile).
    mutating func park(waiter: Int, _ c: CheckedContinuation<Void, Never>) -> Bool {
        finishWaiters.park(waiter, c)
    }

    /// The flush deadline, once a stop was requested.
    var deadline: Duration? {
        switch state {
        case .idle(let d): d
        case .draining(let d): d
        case .running, .resharding, .stopped: nil
        }
    }

    var isStopping: Bool { deadline != nil || state == .stopped }

    enum DeadlineAction: Equatable {
        /// Cancel the reader, the shards and their sends: what is undelivered stays in the WAL.
        case cancelWork
        /// The deadline is later than `now`: keep waiting.
        case wait(until: Duration)
        /// No stop was requested: nothing to do.
        case none
    }

    /// The deadline timer fired at `now`.
    func deadlinePassed(now: Duration) -> DeadlineAction {
        guard let d = deadline else { return .none }
        return d > now ? .wait(until: d) : .cancelWork
    }

    /// `run()` has finished (position saved): returns the stop callers to resume.
    mutating func finished() -> [CheckedContinuation<Void, Never>] {
        state = .stopped
        return finishWaiters.fireAll()
    }

    // MARK: - Reader and resharding

    enum ReaderStep: Equatable {
        case read
        /// End this round: close the shards, let them drain, then reshard to this many.
        case reshard(to: Int)
    }

    /// The reader is about to read more records.
    mutating func readerNextStep() -> ReaderStep {
        guard case .resharding(let k) = state else { return .read }
        if k == shards {
            state = .running
            return .read
        }
        return .reshard(to: k)
    }

    enum CaughtUpAction: Equatable {
        /// Stopping: close the shards and let them deliver what they hold.
        case stop
        /// Wait for the next append (or a stop or reshard, which wake the reader too).
        case waitForAppend
    }

    /// The reader has read everything written so far.
    func readerCaughtUp() -> CaughtUpAction { isStopping ? .stop : .waitForAppend }

    /// The reader read a record (`start`..<`end`) of `samplesIn` samples, of which `counts[s]`
    /// are queued in shard `s` (empty: none kept). Returns its sequence number.
    mutating func recordRead(start: WALPosition, end: WALPosition, samplesIn: Int, counts: [Int]) -> UInt64 {
        calculator.samplesIn(samplesIn)
        return tracker.add(start: start, end: end, counts: counts)
    }

    enum ReshardAction: Equatable {
        /// Start the next round with this many shards.
        case restart(shards: Int)
        /// Samples were left undelivered by the drain (stopped meanwhile): end the run.
        case stop
    }

    /// The shards of a round ended for a reshard to `k` have drained.
    mutating func reshardDrained(to k: Int) -> ReshardAction {
        guard tracker.pending == 0 else { return .stop }
        tracker.reshard(to: k)
        shards = k
        if case .resharding = state { state = .running }
        return .restart(shards: k)
    }

    struct ShardUpdate: Equatable {
        /// The unrounded desired shards (`prometheus_remote_storage_shards_desired`).
        var desired: Double
        /// Reshard to this many (the reader has been told; wake it).
        var reshardTo: Int?
    }

    /// The shard calculation's period ended at `now`, `seconds` after the last one;
    /// `highestInMs` is the newest timestamp written to the WAL (`.min`: none).
    /// Prometheus: no reshard while sends fail (the drain would block), nor when stopping.
    mutating func shardUpdate(now: Duration, seconds: Double, highestInMs: Int64) -> ShardUpdate {
        let delay = highestSentMs == .min || highestInMs == .min ? 0 : Double(highestInMs - highestSentMs) / 1000
        let d = calculator.desiredShards(
            current: shards, minShards: limits.minShards, maxShards: limits.maxShards, delaySeconds: delay,
            seconds: seconds)
        var update = ShardUpdate(desired: calculator.desired)
        if d != shards, now - lastSuccess < limits.shardUpdateInterval * 2, state == .running {
            state = .resharding(to: d)
            update.reshardTo = d
        }
        return update
    }
}
