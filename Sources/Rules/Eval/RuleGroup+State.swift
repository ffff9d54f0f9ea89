import PromModel

extension RuleGroup {
    /// Takes over what `old` knew (Prometheus `Group.CopyState`): for each rule matched by name
    /// and labels, in order, its health, last series and alerts; series of rules that match
    /// nothing are marked stale at the next evaluation.
    func takeState(from old: RuleGroup) {
        let previous = old.state.withLock { $0 }
        var byIdentity: [String: [Int]] = [:]
        for (i, r) in old.rules.enumerated() { byIdentity[r.definition.identity, default: []].append(i) }
        var stale: [Labels] = previous.staleSeries
        state.withLock { s in
            for (i, r) in rules.enumerated() {
                guard var indexes = byIdentity[r.definition.identity], let from = indexes.first else { continue }
                indexes.removeFirst()
                byIdentity[r.definition.identity] = indexes
                s.rules[i].health = previous.rules[from].health
                s.rules[i].lastError = previous.rules[from].lastError
                s.rules[i].lastEvaluationMs = previous.rules[from].lastEvaluationMs
                s.rules[i].evaluationSeconds = previous.rules[from].evaluationSeconds
                s.rules[i].previousSeries = previous.rules[from].previousSeries
                if r.definition.isAlerting && old.rules[from].definition.isAlerting {
                    s.rules[i].alerts = previous.rules[from].alerts
                }
            }
            for indexes in byIdentity.values {
                for i in indexes { stale += previous.rules[i].previousSeries }
            }
            s.staleSeries += stale
            s.restored = s.restored || previous.restored
            s.lastEvaluationMs = previous.lastEvaluationMs
            s.lastDurationSeconds = previous.lastDurationSeconds
        }
    }

    /// Every series the group wrote at its rules' last evaluations.
    func allSeries() -> [Labels] {
        state.withLock { s in s.rules.flatMap { Array($0.previousSeries) } + s.staleSeries }
    }

    func addStaleSeries(_ series: [Labels]) {
        state.withLock { $0.staleSeries += series }
    }
}
