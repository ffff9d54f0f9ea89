import PromModel

/// How a queue makes SLS conditions loud: a notice on the status pages while SLS refuses the
/// credentials or does not know the project or Metricstore, cleared at the next success.
extension QueueManager {
    var noticeKey: String { "remote_write \(remoteName)" }

    /// Posts or clears this queue's notice after a send.
    func noteSLSCondition(_ result: SendResult) {
        guard let notices else { return }
        if case .success = result.outcome {
            notices.clear(key: noticeKey)
            return
        }
        guard let e = result.sls, e.kind == .credentials || e.kind == .missingStore,
            case .recoverable(let reason, _) = result.outcome
        else { return }
        let what =
            e.kind == .credentials ? "SLS refuses the credentials" : "SLS does not know the project or Metricstore"
        notices.post(
            key: noticeKey,
            message: "\(what): \(reason). Samples stay in the WAL (up to --storage.agent.max-size) and are retried.",
            nowMs: currentTimeMs())
    }

}
