import Logging
import PromModel

extension RuleGroup {
    /// Evaluates rule `index` at `tsMs`; returns the number of samples it produced.
    func evaluate(rule index: Int, atMs tsMs: Int64) async -> Int {
        let rule = rules[index]
        let started = ContinuousClock.now
        let queryTs = tsMs - queryOffsetMs
        metrics.group(key).evaluations.increment()
        let outcome: Result<[QuerySample], RuleFailure>
        switch query {
        case .failure(let none):
            outcome = .failure(RuleFailure(message: none.reason, kind: .notConfigured))
        case .success(let client):
            do {
                let result = try await client.query(rule.definition.expr, atMs: queryTs)
                outcome = .success(try result.asVector())
            } catch {
                outcome = .failure(RuleFailure(message: error.message, kind: error.kind))
            }
        }
        var samples: [QuerySample] = []
        var failure: String?
        var alertsToNotify: [Alert] = []
        switch outcome {
        case .failure(let f):
            failure = f.message
            metrics.queryFailures(f.kind).increment()
        case .success(let vector):
            switch rule.definition.kind {
            case .recording(let record):
                do {
                    samples = try RecordingRuleEval.samples(
                        vector, record: record, labels: rule.labels, limit: definition.limit)
                } catch {
                    failure = error.description
                }
            case .alerting:
                let instances = await alertInstances(rule, vector, atMs: queryTs)
                let hold = rule.definition.forDuration.totalMilliseconds
                let keep = rule.definition.keepFiringFor.totalMilliseconds
                let resend = options.resendDelay.totalMilliseconds
                let result: Result<([Alert], [Alert], Bool), AlertingRuleState.EvalError> = state.withLock { s in
                    do throws(AlertingRuleState.EvalError) {
                        let current = try s.rules[index].alerts.apply(
                            instances, atMs: tsMs, holdMs: hold, keepFiringForMs: keep, limit: definition.limit)
                        let send = s.rules[index].alerts.alertsToSend(
                            atMs: tsMs, resendDelayMs: resend, intervalMs: intervalMs)
                        return .success((current, send, s.restored))
                    } catch {
                        return .failure(error)
                    }
                }
                switch result {
                case .success(let (current, send, restored)):
                    alertsToNotify = send
                    if restored {
                        for a in current { samples += alertSeries(a, rule: rule.name, atMs: queryTs) }
                    }
                case .failure(let e):
                    failure = e.description
                }
            }
        }
        if let failure {
            metrics.group(key).failures.increment()
            // No query API is one configuration problem, logged once when the rules load; it
            // stays on /rules and in promsls_rule_query_configured.
            let level: Logger.Level = query.isConfigured ? .warning : .debug
            logger.log(
                level: level, "Evaluating rule failed",
                metadata: ["rule": "\(rule.name)", "index": "\(index)", "err": "\(failure)"])
            finish(index, started: started, atMs: tsMs, error: failure, series: nil)
            return 0
        }
        if !alertsToNotify.isEmpty { notify(alertsToNotify.map(outgoing)) }
        let previous = state.withLock { $0.rules[index].previousSeries }
        var current: Set<Labels> = []
        current.reserveCapacity(samples.count)
        let app = storage.appender()
        var appendError: String?
        for s in samples {
            do {
                try app.append(s.labels, timestampMs: s.timestampMs, value: s.value)
                current.insert(s.labels)
            } catch {
                appendError = "\(error)"
            }
        }
        for l in previous where !current.contains(l) {
            _ = try? app.append(l, timestampMs: queryTs, value: StaleNaN.value)
        }
        do {
            try await app.commit()
        } catch {
            appendError = "\(error)"
        }
        if let appendError {
            metrics.group(key).failures.increment()
            logger.warning("Rule sample appending failed", metadata: ["rule": "\(rule.name)", "err": "\(appendError)"])
            finish(index, started: started, atMs: tsMs, error: appendError, series: nil)
        } else {
            finish(index, started: started, atMs: tsMs, error: nil, series: current)
        }
        return samples.count
    }

    private func finish(
        _ index: Int, started: ContinuousClock.Instant, atMs tsMs: Int64, error: String?, series: Set<Labels>?
    ) {
        let seconds = (ContinuousClock.now - started).totalSeconds
        state.withLock { s in
            s.rules[index].health = error == nil ? .ok : .err
            s.rules[index].lastError = error ?? ""
            s.rules[index].lastEvaluationMs = tsMs
            s.rules[index].evaluationSeconds = seconds
            if let series { s.rules[index].previousSeries = series }
        }
    }

    /// The sample vector as alert instances: labels without `__name__`, the rule's labels
    /// expanded (an empty result removes the label), `alertname`, annotations expanded
    /// (Prometheus `AlertingRule.Eval`). A template that fails to expand gives
    /// `<error expanding template: …>`, as Prometheus.
    func alertInstances(_ rule: CompiledRule, _ vector: [QuerySample], atMs queryTs: Int64) async
        -> [AlertingRuleState.Instance]
    {
        var out: [AlertingRuleState.Instance] = []
        out.reserveCapacity(vector.count)
        let external = Dictionary(options.externalLabels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let environment = templateEnvironment(atMs: queryTs)
        for s in vector {
            var b = LabelsBuilder(s.labels)
            b.delete(Labels.metricName)
            let metric = Dictionary(b.current.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let data = TemplateData(
                labels: metric, externalLabels: external, externalURL: options.externalURL, value: s.value)
            for f in rule.labels {
                b.set(f.name, await expand(f, data, environment))
            }
            b.set("alertname", rule.name)
            var annotations: [Label] = []
            for f in rule.annotations {
                annotations.append(Label(f.name, await expand(f, data, environment)))
            }
            out.append(.init(labels: b.labels(), annotations: Labels(annotations), value: s.value))
        }
        return out
    }

    private func expand(_ field: CompiledRule.Field, _ data: TemplateData, _ environment: TemplateEnvironment) async
        -> String
    {
        guard let template = field.template else { return field.value }
        do {
            return try await template.expand(data, environment: environment)
        } catch {
            logger.warning("Expanding alert template failed", metadata: ["err": "\(error)"])
            return "<error expanding template: \(error)>"
        }
    }

    /// `query` in templates runs through the same query API, at the rule's query time.
    func templateEnvironment(atMs queryTs: Int64) -> TemplateEnvironment {
        let query = self.query
        return TemplateEnvironment(
            query: { expr in
                switch query {
                case .failure(let none): throw QueryError(.notConfigured, none.reason)
                case .success(let client):
                    return try await client.query(expr, atMs: queryTs).asVector().map {
                        TemplateSample(
                            labels: Dictionary($0.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                            value: $0.value)
                    }
                }
            }, externalURL: options.externalURL, now: { Double(queryTs) / 1000 })
    }

    /// `ALERTS{alertstate}` 1 and `ALERTS_FOR_STATE` = `activeAt` in seconds (Prometheus
    /// `AlertingRule.sample` and `forStateSample`).
    func alertSeries(_ a: Alert, rule: String, atMs ts: Int64) -> [QuerySample] {
        var alerts = LabelsBuilder(a.labels)
        alerts.set(Labels.metricName, "ALERTS")
        alerts.set("alertstate", a.state.rawValue)
        var forState = LabelsBuilder(a.labels)
        forState.set(Labels.metricName, "ALERTS_FOR_STATE")
        return [
            QuerySample(labels: alerts.labels(), value: 1, timestampMs: ts),
            QuerySample(labels: forState.labels(), value: Double(a.activeAtMs / 1000), timestampMs: ts),
        ]
    }

    /// Prometheus `sendAlerts`: firing alerts start when they fired and end when their
    /// validity does; resolved ones end at their resolution.
    func outgoing(_ a: Alert) -> OutgoingAlert {
        OutgoingAlert(
            labels: a.labels, annotations: a.annotations, startsAtMs: a.firedAtMs,
            endsAtMs: a.resolvedAtMs != 0 ? a.resolvedAtMs : a.validUntilMs,
            generatorURL: options.externalURL + graphPath(for: rulesExpr(a)))
    }

    private func rulesExpr(_ a: Alert) -> String {
        rules.first { $0.name == a.labels["alertname"] }?.definition.expr ?? ""
    }
}

/// A failed rule query, with the kind that labels `promsls_rule_query_failures_total`.
struct RuleFailure: Error {
    var message: String
    var kind: QueryError.Kind
}

/// `/graph?g0.expr=EXPR&g0.tab=1` (Prometheus `strutil.TableLinkForExpression`).
func graphPath(for expr: String) -> String {
    "/graph?g0.expr=\(formEncode(expr))&g0.tab=1"
}

extension Result where Success == any QueryClient, Failure == NoQueryTarget {
    var isConfigured: Bool {
        if case .success = self { return true }
        return false
    }
}
