/// The wait before the next LIST or WATCH after a failed one: `initial`, doubled after every
/// failure up to `max`, and back to `initial` once an attempt has made progress.
///
/// Progress is what tells a new outage from the same one: a watch that delivered at least one
/// event, or an attempt that ran for at least `max` before it failed (a quiet watch that had
/// been established). Without this a watch that broke after a first outage had healed would
/// wait as long as the end of that outage did (client-go's reflector resets its backoff after
/// a quiet period in the same way).
struct KubeBackoff: Equatable, Sendable {
    let initial: Duration
    let max: Duration
    /// The wait the next failure will get.
    private(set) var delay: Duration

    init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
        self.delay = initial
    }

    /// An attempt ended cleanly (a watch closed by its timeout): the next failure waits `initial`.
    mutating func succeeded() { delay = initial }

    /// An attempt failed after running `ran` and delivering `events` watch events; returns how
    /// long to wait before the next attempt.
    mutating func failed(events: Int, ran: Duration) -> Duration {
        if events > 0 || ran >= max { delay = initial }
        let wait = delay
        delay = Swift.min(delay * 2, max)
        return wait
    }
}
