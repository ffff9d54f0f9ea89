// kubernetes_sd_configs end to end: the agent against Tests/Fakes/kube_apiserver_fake.py over
// HTTPS with a bearer-token file, its pods at 127.0.0.1 pointing at the agent's own /metrics
// port so every target is really scraped, into a real Prometheus where the checks need one.
// Watch events, a 410 relist, a 30 s outage, RBAC 403, one shared informer for two jobs, and
// the endpointslice role. The tests are independent and run in parallel; the outage one (~41 s)
// sets the pace.

import Foundation
import Testing

@Suite("Kubernetes discovery end to end", .offThePool, .timeLimit(.minutes(3)))
struct KubernetesDiscoveryTests {

    /// The agent's configuration: one job per name in `jobs`, discovering `role` through `fake`
    /// every second. Relabeling copies the pod's `app` label, the pod's name and the service's
    /// name into `app`, `pod` and `service`; the scraped samples themselves are dropped (only
    /// `up` and the other report series are written), with remote write to `remoteWrite`.
    static func config(_ fake: KubeAPIServerFake, role: String, jobs: [String], remoteWrite: String?) -> String {
        var s = "global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n"
        for job in jobs {
            s += """
                  - job_name: \(job)
                    kubernetes_sd_configs: [\(fake.sdConfig(role: role))]
                    relabel_configs:
                      - {source_labels: [__meta_kubernetes_pod_label_app], target_label: app}
                      - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
                      - {source_labels: [__meta_kubernetes_service_name], target_label: service}
                    metric_relabel_configs:
                      - {source_labels: [__name__], regex: '.+', action: drop}

                """
        }
        if let remoteWrite { s += "remote_write:\n" + sdRemoteWrite(remoteWrite) + "\n" }
        return s
    }

    /// Starts the fake (with `fakeArguments`) and an agent on `config(fake)`; runs `body`, then
    /// stops both whatever happens.
    static func withAgent(
        fakeArguments: [String] = [], receiver: Bool = false, role: String = "pod", jobs: [String] = ["pods"],
        _ body: (TestHTTP, KubeAPIServerFake, Promsls, PrometheusReceiver?) async throws -> Void
    ) async throws {
        let dir = try TempDir("promsls-kube")
        defer { dir.remove() }
        let fake = try await KubeAPIServerFake.start(dir: dir, arguments: fakeArguments)
        defer { fake.child.stop() }
        try await TestHTTP.with { http in
            var prom: PrometheusReceiver? = nil
            if receiver { prom = try await PrometheusReceiver.start(dir: dir, http: http) }
            defer { prom?.child.stop() }
            let config = Self.config(fake, role: role, jobs: jobs, remoteWrite: prom?.writeURL)
            let agent = try await Promsls.startAgent(dir: dir, http: http, config: config)
            defer { agent.child.stop() }
            try await body(http, fake, agent, prom)
        }
    }

    /// Waits until the agent's active targets satisfy `check`; returns them.
    static func waitForTargets(
        _ what: String, _ http: TestHTTP, _ agent: Promsls, _ fake: KubeAPIServerFake,
        timeout: Duration = .seconds(15), _ check: @escaping ([ActiveTarget]) -> Bool
    ) async throws -> [ActiveTarget] {
        try await eventually(
            what, timeout: timeout, interval: .milliseconds(100),
            context: { agent.child.tail() + "\n" + fake.child.tail() }
        ) {
            let targets = try await activeTargetDetails(http, agent)
            return check(targets) ? targets : nil
        }
    }

    static func failures(_ http: TestHTTP, _ agent: Promsls) async throws -> Double {
        TextBody.sum(try await agent.metrics(http), "prometheus_sd_kubernetes_failures_total")
    }

    /// Waits until `selector` had samples in the last 2 minutes but has no value now: the agent
    /// wrote a staleness marker (without one the last sample would stay current for 5 minutes).
    /// Returns the time of the last real sample, in seconds.
    static func waitStale(_ http: TestHTTP, _ prom: PrometheusReceiver, _ selector: String, logs: () -> String)
        async throws -> Double
    {
        try await eventually("\(selector) marked stale in Prometheus", timeout: .seconds(30), context: logs) {
            guard try await http.query(prom.base, selector).isEmpty else { return nil }
            let past = try await rangeQuery(http, prom.base, selector + "[2m]", at: Date().timeIntervalSince1970)
            return past.first?.samples.last.map { Double($0.0) / 1000 }
        }
    }

    /// Waits until `up{selector}` is 1 in Prometheus.
    static func waitUp(_ http: TestHTTP, _ prom: PrometheusReceiver, _ selector: String, logs: () -> String)
        async throws
    {
        _ = try await eventually("up\(selector) = 1 in Prometheus", timeout: .seconds(30), context: logs) {
            try await http.query(prom.base, "up\(selector)").first?.value == 1 ? true : nil
        }
    }

    @Test("watch: a pod's add, label change and delete reach the targets and Prometheus, with staleness markers")
    func watchEvents() async throws {
        try await Self.withAgent(receiver: true) { http, fake, agent, prom in
            let prom = try #require(prom)
            let logs = { agent.child.tail() + "\n" + fake.child.tail() }
            let apps = { (t: [ActiveTarget]) in t.map { $0.labels["app"] ?? "" } }

            try await fake.apply(http, "pods", KubeFixtures.pod("web", app: "a", port: agent.port))
            let added = try await Self.waitForTargets("the pod's target", http, agent, fake) { apps($0) == ["a"] }
            #expect(added[0].labels["pod"] == "web" && added[0].labels["instance"] == "127.0.0.1:\(agent.port)")
            try await Self.waitUp(http, prom, #"{app="a"}"#, logs: logs)

            // MODIFIED: the same pod with app=b is a new target; the old series ends with a marker.
            let changedAt = Date().timeIntervalSince1970
            try await fake.apply(http, "pods", KubeFixtures.pod("web", app: "b", port: agent.port))
            _ = try await Self.waitForTargets("the relabeled target", http, agent, fake) { apps($0) == ["b"] }
            try await Self.waitUp(http, prom, #"{app="b"}"#, logs: logs)
            let lastA = try await Self.waitStale(http, prom, #"up{app="a"}"#, logs: logs)
            #expect(lastA < changedAt + 5, "app=a scraped \(lastA - changedAt) s after the change")

            // DELETED: the target goes, and its series with a marker.
            let deletedAt = Date().timeIntervalSince1970
            try await fake.delete(http, "pods", "web")
            _ = try await Self.waitForTargets("no target", http, agent, fake) { $0.isEmpty }
            let lastB = try await Self.waitStale(http, prom, #"up{app="b"}"#, logs: logs)
            #expect(lastB < deletedAt + 5, "app=b scraped \(lastB - deletedAt) s after the delete")

            let m = try await agent.metrics(http)
            for event in ["add", "update", "delete"] {
                let series = #"prometheus_sd_kubernetes_events_total{role="pod",event="\#(event)"}"#
                #expect(m.contains(series + " 1\n"), "\(m.split(separator: "\n").filter { $0.hasPrefix(series) })")
            }
            #expect(try await Self.failures(http, agent) == 0)
            print(
                "kube watch: last app=a sample \(String(format: "%.2f", lastA - changedAt)) s after the change, last app=b sample \(String(format: "%.2f", lastB - deletedAt)) s after the delete"
            )
        }
    }

    @Test("410 Gone: after each relist the targets are exactly the server's pods; a 410 is no failure")
    func expiredWatch() async throws {
        try await Self.withAgent { http, fake, agent, _ in
            let logs = { agent.child.tail() + "\n" + fake.child.tail() }
            let pod = { (name: String, app: String) in KubeFixtures.pod(name, app: app, port: agent.port) }
            for i in 0..<4 { try await fake.apply(http, "pods", pod("p\(i)", "a")) }
            /// The agent's targets equal the fake's pods, once each, with `apps` where given.
            func inSync(_ apps: [String: String] = [:]) async throws {
                let want = try await fake.podNames(http)
                _ = try await Self.waitForTargets("targets = the fake's pods \(want.sorted())", http, agent, fake) {
                    targets in
                    let labels = targets.map(\.labels)
                    return labels.count == want.count && Set(labels.compactMap { $0["pod"] }) == want
                        && apps.allSatisfy { name, app in labels.contains { $0["pod"] == name && $0["app"] == app } }
                }
            }
            /// `requests.list.pods` and `requests.watch.pods` of the fake's `/stats`.
            func requests() async throws -> (lists: Int, watches: Int) {
                let s = try await fake.stats(http)
                return (kubeCount(s, "requests", "list", "pods"), kubeCount(s, "requests", "watch", "pods"))
            }
            func watching() async throws {
                _ = try await eventually("an open pod watch", timeout: .seconds(10), context: logs) {
                    kubeCount(try await fake.stats(http), "open_watches_by_resource", "pods") == 1 ? true : nil
                }
            }
            try await inSync()
            try await watching()

            // 1. Compaction ends the open watch with 410: the agent lists again at once and
            // watches from the new list; changes after that come through the new watch.
            let start = try await requests()
            let expired = try await fake.post(http, "/expire")
            #expect(expired["watches_expired"] as? Int == 1, "\(expired)")
            _ = try await eventually("a relist after the 410", timeout: .seconds(10), context: logs) {
                try await requests().lists == start.lists + 1 ? true : nil
            }
            try await fake.delete(http, "pods", "p0")
            try await fake.apply(http, "pods", pod("p4", "a"))
            try await inSync()
            #expect(try await Self.failures(http, agent) == 0, "a 410 is no failure\n\(logs())")

            // 2. Changes the agent never gets as events: the watch is cut (a failure, then a 1 s
            // back-off); meanwhile the server changes and compacts; the agent's watch from its old
            // version gets 410, and only the relist can tell that p1 is gone and p2 changed.
            try await watching()
            let before = try await requests()
            let dropped = try await fake.post(http, "/drop")
            #expect(dropped["watches_dropped"] as? Int == 1, "\(dropped)")
            try await fake.delete(http, "pods", "p1")
            try await fake.apply(http, "pods", pod("p2", "b"))
            try await fake.apply(http, "pods", pod("p5", "a"))
            try await fake.post(http, "/expire")
            // No watch request reached the server meanwhile (the cut one ended before the changes).
            #expect(try await requests().watches == before.watches, "a watch during the changes: \(logs())")
            try await inSync(["p2": "b", "p3": "a", "p5": "a"])
            try await watching()
            let after = try await requests()
            #expect(after.lists == before.lists + 1, "one relist: \(before) → \(after)")
            #expect(
                after.watches == before.watches + 2, "the watch that got 410, then the new one: \(before) → \(after)")
            #expect(try await Self.failures(http, agent) == 1, "the cut watch only, not the 410\n\(logs())")
            let gone = agent.child.stderr.components(separatedBy: "resource version too old; listing again").count - 1
            #expect(gone == 2, "two 410s logged\n\(logs())")
        }
    }

    @Test("API server down for 30 s: targets stay and are scraped, failures counted, then recovery")
    func outage() async throws {
        try await Self.withAgent(receiver: true) { http, fake, agent, prom in
            let prom = try #require(prom)
            let logs = { agent.child.tail() + "\n" + fake.child.tail() }
            try await fake.apply(http, "pods", KubeFixtures.pod("web", app: "a", port: agent.port))
            try await Self.waitUp(http, prom, #"{app="a"}"#, logs: logs)

            let start = Date().timeIntervalSince1970
            try await fake.post(http, "/outage", ["seconds": 30])
            _ = try await eventually("failures counted", timeout: .seconds(10), context: logs) {
                try await Self.failures(http, agent) >= 1 ? true : nil
            }
            // Scrapes go on: fresh `up` samples written during the outage.
            _ = try await eventually("up{app=a} written during the outage", timeout: .seconds(20), context: logs) {
                let r = try await rangeQuery(http, prom.base, #"up{app="a"}[30s]"#, at: Date().timeIntervalSince1970)
                return (r.first?.samples.filter { Double($0.0) / 1000 > start + 2 && $0.1 == 1 }.count ?? 0) >= 5
                    ? true : nil
            }
            let kept = try await activeTargetDetails(http, agent)
            #expect(kept.map { $0.labels["app"] } == ["a"] && kept.first?.health == "up", "kept: \(kept)")
            // Waiting for the outage to end is the point here.
            _ = try await eventually("the outage to end", timeout: .seconds(40), interval: .seconds(1)) {
                (try await fake.stats(http)["outage"] as? Double ?? 1) == 0 ? true : nil
            }
            let atEnd = try await activeTargetDetails(http, agent)
            #expect(atEnd.map { $0.labels["app"] } == ["a"] && atEnd.first?.health == "up", "kept: \(atEnd)")
            let failures = try await Self.failures(http, agent)
            #expect(failures >= 3, "retries with back-off during 30 s: \(failures)")

            // Recovery: the back-off (at most 30 s) ends, the watch resumes, a new pod appears.
            try await fake.apply(http, "pods", KubeFixtures.pod("late", app: "c", port: agent.port))
            _ = try await Self.waitForTargets(
                "the pod added after the outage", http, agent, fake, timeout: .seconds(45)
            ) {
                Set($0.map { $0.labels["app"] ?? "" }) == ["a", "c"] && $0.allSatisfy { $0.health == "up" }
            }
            #expect(
                agent.child.stderr.contains("Kubernetes API requests succeed again"),
                "one line says the API answers again\n\(logs())")
            print(
                "kube outage: \(Int(failures)) failures over 30 s; recovered \(Int(Date().timeIntervalSince1970 - start)) s after the outage began"
            )
        }
    }

    @Test("RBAC 403: counted and logged with the resource, the agent stays healthy; /allow heals without restart")
    func forbidden() async throws {
        try await Self.withAgent(fakeArguments: ["--deny", "pods"]) { http, fake, agent, _ in
            let logs = { agent.child.tail() + "\n" + fake.child.tail() }
            try await fake.apply(http, "pods", KubeFixtures.pod("web", app: "a", port: agent.port))
            // Two failures: the first LIST and a retry after the 1 s back-off.
            _ = try await eventually("two 403 failures counted", timeout: .seconds(10), context: logs) {
                try await Self.failures(http, agent) >= 2 ? true : nil
            }
            let line = agent.child.stderr.split(separator: "\n").first { $0.contains("HTTP 403") }
            #expect(
                line.map { $0.contains("pods is forbidden") && $0.contains("resource=pods") } == true,
                "the 403 log line names the resource: \(line ?? "none")\n\(logs())")
            #expect(try await http.get(agent.base + "/-/healthy").status == 200)
            #expect(agent.child.isRunning)
            #expect(try await activeTargetDetails(http, agent).isEmpty)

            try await fake.post(http, "/allow", ["resource": "pods"])
            let targets = try await Self.waitForTargets("the pod's target after /allow", http, agent, fake) {
                $0.count == 1 && $0[0].health == "up"
            }
            #expect(targets[0].labels["pod"] == "web")
        }
    }

    @Test("two jobs with the same pod role share one informer: one LIST, one WATCH, both get the target")
    func sharedInformer() async throws {
        try await Self.withAgent(jobs: ["pods-1", "pods-2"]) { http, fake, agent, _ in
            try await fake.apply(http, "pods", KubeFixtures.pod("web", app: "a", port: agent.port))
            let targets = try await Self.waitForTargets("a healthy target in each job", http, agent, fake) {
                Set($0.map(\.scrapePool)) == ["pods-1", "pods-2"] && $0.count == 2
                    && $0.allSatisfy { $0.health == "up" }
            }
            #expect(targets.allSatisfy { $0.labels["pod"] == "web" && $0.labels["job"] == $0.scrapePool })
            let s = try await fake.stats(http)
            #expect(kubeCount(s, "open_watches_by_resource", "pods") == 1, "\(s)")
            #expect(kubeCount(s, "requests", "list", "pods") == 1, "\(s)")
            #expect(kubeCount(s, "requests", "watch", "pods") == 1, "\(s)")
        }
    }

    @Test("endpointslice role: a Service, its EndpointSlice and Pod give a scraped target with the service's name")
    func endpointSlice() async throws {
        try await Self.withAgent(role: "endpointslice") { http, fake, agent, _ in
            let slice = KubeFixtures.endpointSlice("web-x1", service: "web", pod: "web-0", port: agent.port)
            try await fake.apply(http, "pods", KubeFixtures.pod("web-0", app: "web", port: agent.port))
            try await fake.apply(http, "endpointslices", slice)
            // Before the Service exists: the target, without service labels.
            let early = try await Self.waitForTargets("the slice's target with its pod", http, agent, fake) {
                $0.count == 1 && $0[0].labels["pod"] == "web-0"
            }
            #expect(early[0].labels["service"] == nil, "\(early)")
            // The Service arrives through its own informer and the slice's group is rebuilt.
            try await fake.apply(http, "services", KubeFixtures.service("web", targetPort: agent.port))
            let targets = try await Self.waitForTargets("the target with its service", http, agent, fake) {
                $0.count == 1 && $0[0].labels["service"] == "web" && $0[0].health == "up"
            }
            let t = targets[0].labels
            #expect(t["pod"] == "web-0" && t["app"] == "web" && t["instance"] == "127.0.0.1:\(agent.port)", "\(t)")
            let s = try await fake.stats(http)
            for resource in ["endpointslices", "services", "pods"] {
                #expect(kubeCount(s, "open_watches_by_resource", resource) == 1, "\(resource): \(s)")
            }
        }
    }
}
