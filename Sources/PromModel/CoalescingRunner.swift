/// Runs an operation one call at a time; calls made while it runs share one follow-up run.
///
/// The serialisation of configuration reloads (SIGHUP, `POST /-/reload`): two reloads never
/// overlap, so two cannot each build a queue for the same `remote_write` entry. A call made
/// while a run is in flight waits for that run to end, then one follow-up run starts for every
/// call made meanwhile (it begins after all of them asked, so it sees what they wanted it to
/// see, e.g. the file as edited) and each of them returns that run's value. A burst of reload
/// requests thus costs at most two runs, not one per request.
public actor CoalescingRunner<Value: Sendable> {
    private enum Turn {
        /// Drive the follow-up run.
        case run
        /// The follow-up ran; its value.
        case result(Value)
    }

    /// A run is in flight (or being handed to the driver of the follow-up).
    private var running = false
    /// Calls made while a run is in flight: the next follow-up run.
    private var waiting: [CheckedContinuation<Turn, Never>] = []
    /// The calls that share the run about to start (set when its driver is woken).
    private var riders: [CheckedContinuation<Turn, Never>] = []

    public init() {}

    /// Calls waiting for the run in flight to end (they share the follow-up run).
    public var waitingCalls: Int { waiting.count }

    /// Runs `operation`, or joins the follow-up run when one is in flight; returns the value of
    /// the run that started at or after this call.
    ///
    /// Every caller passes the same operation (e.g. "reload the config file"); a caller whose
    /// call is coalesced gets the value of another caller's `operation`.
    public func run(_ operation: @Sendable () async -> Value) async -> Value {
        if running {
            let turn = await withCheckedContinuation { waiting.append($0) }
            if case .result(let value) = turn { return value }
            // `.run`: this caller drives the follow-up; `running` is still true.
        }
        running = true
        let mine = riders
        riders = []
        let value = await operation()
        for r in mine { r.resume(returning: .result(value)) }
        if waiting.isEmpty {
            running = false
        } else {
            let next = waiting
            waiting = []
            riders = Array(next.dropFirst())
            next[0].resume(returning: .run)
        }
        return value
    }
}
