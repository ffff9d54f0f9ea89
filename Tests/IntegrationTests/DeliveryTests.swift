// Delivery without loss (issue 5), end to end against a real Prometheus receiver: outages,
// restarts and kill -9 during an outage, a corrupt WAL, the size bound, SLS-style 403s and
// other 4xx, and one endpoint down beside a healthy one. The scrape target counts its
// scrapes, so every delivered value is a scrape number: exactly once and in order means
// each series holds 1, 2, 3 … with no gap, no repeat and increasing timestamps.

import Foundation
import Testing

@Suite("delivery without loss", .serialized, .offThePool, .timeLimit(.minutes(5)))
struct DeliveryTests {
    static let series = 20

    // 1. The receiver is down for 60 s while scraping every second.
    @Test("a 60 s receiver outage: every sample arrives exactly once, in order")
    func outage() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try RestartablePrometheus(dir: dir)
            try await prom.start(http)
            defer { prom.stop() }
            let target = try await CountingTarget(series: Self.series)
            defer { target.server.stop() }
            var agent = try DeliveryAgent(
                dir: dir, name: "outage",
                config: deliveryConfig(
                    target: target.address, remoteWrite: [deliveryRemote(name: "prom", url: prom.writeURL)]))
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            let logs = { [agent] in agent.logs() + "\n" + (prom.child?.tail() ?? "") }

            try await waitDelivered(http, prom.base, series: Self.series, atLeast: 3, context: logs)
            prom.stop()
            let downAt = target.scrapes
            try await Task.sleep(for: .seconds(60))
            let backlog = try await agent.metric(http, "promsls_remote_storage_wal_backlog_bytes")
            let pending = target.scrapes
            #expect(backlog > 0, "a WAL backlog built up during the outage")
            let upAt = ContinuousClock.now
            try await prom.start(http)
            try await waitDelivered(
                http, prom.base, series: Self.series, atLeast: pending, timeout: .seconds(60), context: logs)
            let caughtUp = ContinuousClock.now - upAt
            // A scrape that failed (e.g. its 1 s timeout on a loaded machine) has no sample to
            // deliver: only such scrapes may be missing, and promsls counts each of them.
            let failedScrapes = Int(try await agent.metric(http, "promsls_target_scrape_failures_total"))
            agent.child.stop()
            let last = target.scrapes

            let got = try await rawSamples(http, prom.base, "delivery_test_value")
            #expect(got.count == Self.series)
            for (i, samples) in got.sorted(by: { $0.key < $1.key }) {
                let c = SeriesCheck(samples)
                #expect(c.disorder == 0, "series i=\(i): \(c)")
                #expect(c.missing.count <= failedScrapes, "series i=\(i): \(c); failed scrapes: \(failedScrapes)")
                #expect(c.first <= 3 && c.last >= Double(pending), "series i=\(i): \(c)")
                #expect(c.count == Int(c.last - c.first) + 1 - c.missing.count, "series i=\(i): \(c)")
            }
            print(
                "delivery 1: outage from scrape \(downAt) to \(pending) (60 s); backlog \(Int(backlog)) bytes; caught up "
                    + "\(caughtUp) after the receiver came back (incl. its start); \(last) scrapes in all; "
                    + "series i=0: \(SeriesCheck(got["0"] ?? []))")
            let m = agent.allStderr()
            #expect(
                !m.contains("level=error"),
                "errors logged:\n\(m.split(separator: "\n").filter { $0.contains("level=error") }.prefix(5))")
        }
    }

    // 2. During an outage the agent is restarted (SIGTERM), then killed (-9) and started again.
    @Test("restart and kill -9 during an outage: the backlog survives, exactly once, in order")
    func restartAndKillDuringOutage() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try RestartablePrometheus(dir: dir)
            try await prom.start(http)
            defer { prom.stop() }
            let target = try await CountingTarget(series: Self.series)
            defer { target.server.stop() }
            var agent = try DeliveryAgent(
                dir: dir, name: "restart",
                config: deliveryConfig(
                    target: target.address, remoteWrite: [deliveryRemote(name: "prom", url: prom.writeURL)]))
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            let logs = { [agent] in agent.logs() + "\n" + (prom.child?.tail() ?? "") }

            try await waitDelivered(http, prom.base, series: Self.series, atLeast: 3, context: logs)
            prom.stop()
            try await Task.sleep(for: .seconds(10))
            let stopStart = ContinuousClock.now
            let status = agent.child.stop()
            #expect(status == 0, "graceful stop during the outage: exit \(String(describing: status))\n\(agent.logs())")
            #expect(
                ContinuousClock.now - stopStart < .seconds(8),
                "stop with --shutdown-timeout=3s took \(ContinuousClock.now - stopStart)")
            try await agent.start(http)
            try await Task.sleep(for: .seconds(10))
            kill(agent.child.pid, SIGKILL)
            agent.child.waitForExit(timeout: .seconds(5))
            let killedAt = target.scrapes
            try await agent.start(http)
            try await Task.sleep(for: .seconds(8))
            let pending = target.scrapes
            try await prom.start(http)
            try await waitDelivered(
                http, prom.base, series: Self.series, atLeast: pending, timeout: .seconds(60), context: logs)
            agent.child.stop()

            let got = try await rawSamples(http, prom.base, "delivery_test_value")
            #expect(got.count == Self.series)
            var missingAll: Set<Double> = []
            for (i, samples) in got.sorted(by: { $0.key < $1.key }) {
                let c = SeriesCheck(samples)
                missingAll.formUnion(c.missing)
                #expect(c.disorder == 0, "series i=\(i): \(c)")
                #expect(c.first <= 3 && c.last >= Double(pending), "series i=\(i): \(c)")
                // The only sample that may be lost: a scrape served in the instant of kill -9,
                // before its commit (the target counted it, the agent never stored it).
                #expect(
                    c.missing.allSatisfy { abs($0 - Double(killedAt)) <= 1 },
                    "series i=\(i): \(c) (killed at scrape \(killedAt))")
            }
            let resent = agent.allStderr().contains("resumes from its saved WAL position")
            #expect(resent, "the restarted agent resumed from a saved position")
            print(
                "delivery 2: restart + kill -9 (at scrape \(killedAt)) during a 28 s outage; \(pending) scrapes before the receiver returned; "
                    + "missing across series: \(missingAll.sorted()); series i=0: \(SeriesCheck(got["0"] ?? []))")
        }
    }

    // 3. A flipped byte in the middle of a segment and a torn record at its end.
    @Test("corrupt WAL: start succeeds, the bad record is skipped with a log line, the rest is delivered")
    func corruptWAL() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try RestartablePrometheus(dir: dir)
            let target = try await CountingTarget(series: Self.series)
            defer { target.server.stop() }
            var agent = try DeliveryAgent(
                dir: dir, name: "corrupt",
                config: deliveryConfig(
                    target: target.address, remoteWrite: [deliveryRemote(name: "prom", url: prom.writeURL)]))
            // Receiver down: the WAL fills with ~8 scrapes, none sent.
            try await agent.start(http)
            try await Task.sleep(for: .seconds(8))
            #expect(agent.child.stop() == 0)
            let written = target.scrapes
            let seg = agent.data + "/wal/00000001"
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: seg)))
            // Flip a byte in the payload of the last record but one (a later scrape's samples,
            // not the series definitions, which the first record holds: with compact records
            // they are most of the segment; and with a valid record after it, so it is a corrupt
            // record to skip, not a tail). Records are `[length u32 LE][crc u32][payload]`.
            var recordStarts: [Int] = []
            var off = 0
            while off + 8 <= bytes.count {
                recordStarts.append(off)
                off += 8 + (0..<4).reduce(0) { $0 | Int(bytes[off + $1]) << (8 * $1) }
            }
            // Segment 1 holds the scrapes: a record each.
            try #require(recordStarts.count >= 5, "records in segment 1 (\(bytes.count) bytes): \(recordStarts)")
            let (victim, next) = (recordStarts[recordStarts.count - 2], recordStarts[recordStarts.count - 1])
            let flipAt = victim + 8 + (next - victim - 8) / 2
            bytes[flipAt] ^= 0x5a
            // And a torn write at the end: half a record header and some payload.
            bytes += [200, 1, 0, 0, 1, 2, 3, 4, 1, 9, 9]
            try Data(bytes).write(to: URL(fileURLWithPath: seg))

            try await prom.start(http)
            defer { prom.stop() }
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            let logs = { [agent] in agent.logs() + "\n" + (prom.child?.tail() ?? "") }
            let now = target.scrapes
            try await waitDelivered(
                http, prom.base, series: Self.series, atLeast: now, timeout: .seconds(30), context: logs)
            agent.child.stop()
            let log = agent.allStderr()
            #expect(log.contains("torn or corrupt tail truncated"), "a log line for the torn tail\n\(logs())")
            #expect(log.contains("corrupt record"), "a log line for the flipped byte\n\(logs())")
            let got = try await rawSamples(http, prom.base, "delivery_test_value")
            var lost: Set<Double> = []
            for (i, samples) in got {
                let c = SeriesCheck(samples)
                lost.formUnion(c.missing)
                #expect(c.disorder == 0, "series i=\(i): \(c)")
                #expect(c.first <= 2 && c.last >= Double(now), "series i=\(i): \(c)")
            }
            // The scrape whose record held the flipped byte is lost, and with it the last one:
            // its values are stored against the lost record's (a series decodes again from the
            // next key record, every 16th of a segment; WALValueTests).
            #expect(lost.count <= 2 && lost.allSatisfy { $0 <= Double(written) }, "lost scrapes \(lost.sorted())")
            print(
                "delivery 3: \(written) scrapes in the corrupted WAL; lost scrape(s) \(lost.sorted()); log: "
                    + (log.split(separator: "\n").first { $0.contains("corrupt record") }.map(String.init) ?? ""))
        }
    }

    // 4. A tiny --storage.agent.max-size with the receiver down.
    @Test("size bound: the oldest segments are dropped, counted and logged; the newest are delivered")
    func sizeBound() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try RestartablePrometheus(dir: dir)
            let target = try await CountingTarget(series: 200)
            defer { target.server.stop() }
            var agent = try DeliveryAgent(
                dir: dir, name: "bound",
                // A small in-memory queue (capacity 400 samples, 2 scrapes): the backlog is in the WAL.
                config: deliveryConfig(
                    target: target.address,
                    remoteWrite: [
                        deliveryRemote(name: "prom", url: prom.writeURL, capacity: 400, maxSamplesPerSend: 200)
                    ]),
                // Compact records: a scrape of 205 samples is ≈ 1 KB, each segment starts with
                // ≈ 3 KB of (compressed) series definitions; 24 KiB fills in a few seconds.
                extraArgs: ["--storage.agent.max-size=24KiB", "--storage.agent.wal-segment-size=4KiB"])
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            let logs = { [agent] in agent.logs() + "\n" + (prom.child?.tail() ?? "") }
            _ = try await eventually("samples dropped by the size bound", timeout: .seconds(60), context: logs) {
                () -> Double? in
                let d = try await agent.metric(http, "prometheus_remote_storage_samples_dropped_total")
                return d > 0 && target.scrapes >= 15 ? d : nil
            }
            let now = target.scrapes
            try await prom.start(http)
            defer { prom.stop() }
            try await waitDelivered(http, prom.base, series: 200, atLeast: now, timeout: .seconds(30), context: logs)
            let m = try await agent.current!.metrics(http)
            let droppedFinal = TextBody.sum(m, "prometheus_remote_storage_samples_dropped_total")
            #expect(m.contains("prometheus_remote_storage_samples_dropped_total{remote_name=\"prom\""))
            #expect(m.contains("reason=\"retention\""), "dropped samples carry reason=\"retention\"")
            agent.child.stop()
            let log = agent.allStderr()
            let line = log.split(separator: "\n").first { $0.contains("WAL segment dropped") }.map(String.init) ?? ""
            #expect(
                line.contains("samples=") && line.contains("from=") && line.contains("to="),
                "the warning names samples and time range:\n\(line)")
            let got = try await rawSamples(http, prom.base, "delivery_test_value")
            let c = SeriesCheck(got["0"] ?? [])
            // The queue held the first scrapes in memory (delivered); the oldest segments after
            // them were dropped: exactly those scrapes are missing, and counted (205 samples
            // each: 200 series + 5 scrape report series).
            #expect(!c.missing.isEmpty, "the oldest scrapes were dropped: \(c)")
            // (Drops go on until the receiver is back, so scrapes after `now` may be missing too.)
            #expect(c.missing.allSatisfy { $0 < c.last - 1 }, "only old scrapes are missing: \(c)")
            #expect(
                Double(c.missing.count * 205) == droppedFinal,
                "dropped_total \(droppedFinal) vs \(c.missing.count) scrapes missing")
            #expect(c.last >= Double(now), "the newest were delivered: \(c)")
            #expect(c.disorder == 0, "\(c)")
            print(
                "delivery 4: \(Int(droppedFinal)) samples dropped by a 24 KiB bound; series i=0 in Prometheus: \(c); log: \(line)"
            )
        }
    }

    // 5. SLS-style retryable 403, plain 403 and 400 endpoints, beside each other.
    @Test("403 with an SLS retryable body is retried and delivered; plain 403 and 400 are dropped and counted once")
    func statusCodes() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let sls =
                #"{"slsStatus":{"retryPolicy":"Continuous","errorCode":"WriteQuotaExceed","errorMessages":["quota"]}}"#
            let retry = try await ScriptedReceiver { i in i < 4 ? (403, sls) : (200, "") }
            let forbidden = try await ScriptedReceiver { _ in (403, "Forbidden: bad AccessKey") }
            let bad = try await ScriptedReceiver { _ in (400, "bad request: out of bounds") }
            defer {
                retry.server.stop()
                forbidden.server.stop()
                bad.server.stop()
            }
            let target = try await CountingTarget(series: 5)
            defer { target.server.stop() }
            var agent = try DeliveryAgent(
                dir: dir, name: "status",
                config: deliveryConfig(
                    target: target.address,
                    remoteWrite: [
                        deliveryRemote(name: "sls", url: retry.url), deliveryRemote(name: "p403", url: forbidden.url),
                        deliveryRemote(name: "p400", url: bad.url),
                    ]))
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            try await Task.sleep(for: .seconds(6))
            let now = target.scrapes
            _ = try await eventually(
                "the retried endpoint to get scrape \(now)", timeout: .seconds(20), context: { agent.logs() }
            ) {
                retry.got.contains {
                    $0.status == 200
                        && $0.samples.contains {
                            $0.labels["__name__"] == "delivery_test_value" && $0.sample.value >= Double(now)
                        }
                }
                    ? true : nil
            }
            let m = try await agent.current!.metrics(http)
            agent.child.stop()

            // Retried: every scrape number exactly once among the accepted requests.
            let delivered = retry.got.filter { $0.status == 200 }.flatMap(\.samples).filter { $0.labels["i"] == "0" }
            let values = delivered.map(\.sample.value)
            #expect(
                values == Array(stride(from: 1.0, through: Double(values.count), by: 1)), "sls endpoint got \(values)")
            #expect(retry.got.prefix(4).allSatisfy { $0.status == 403 })
            // Dropped: each sample sent once (no retry), and counted as failed, by status code.
            for (name, rx, code) in [("p403", forbidden, "403"), ("p400", bad, "400")] {
                let sent = rx.got.flatMap(\.samples)
                #expect(Set(sent).count == sent.count, "\(name): a dropped batch was sent again")
                let failed = TextBody.sum(
                    m.split(separator: "\n").filter { $0.contains("remote_name=\"\(name)\"") }.joined(separator: "\n"),
                    "prometheus_remote_storage_samples_failed_total")
                #expect(
                    failed >= Double(sent.count - 50) && failed <= Double(sent.count),
                    "\(name): failed_total \(failed) vs \(sent.count) samples sent once")
                #expect(
                    m.contains("promsls_remote_storage_http_failures_total{remote_name=\"\(name)\"")
                        && m.contains("status_code=\"\(code)\""))
                let retried = TextBody.sum(
                    m.split(separator: "\n").filter { $0.contains("remote_name=\"\(name)\"") }.joined(separator: "\n"),
                    "prometheus_remote_storage_samples_retried_total")
                #expect(retried == 0, "\(name) retried \(retried)")
            }
            let log = agent.allStderr()
            #expect(
                log.contains("x_log_requestid=req-") && log.contains("bad AccessKey"),
                "the drop log quotes the body and request id")
            print(
                "delivery 5: sls endpoint got \(values.count) scrapes after 4×403; p403 \(forbidden.got.count) requests, p400 \(bad.got.count) requests, each once"
            )
        }
    }

    // 6. Two endpoints, one down: the other keeps up to date.
    @Test("two endpoints, one down: the healthy one stays up to date")
    func oneEndpointDown() async throws {
        let dir = try TempDir("promsls-delivery")
        defer { dir.remove() }
        try await TestHTTP.with { http in
            let prom = try RestartablePrometheus(dir: dir)
            try await prom.start(http)
            defer { prom.stop() }
            let target = try await CountingTarget(series: Self.series)
            defer { target.server.stop() }
            let closed = "http://127.0.0.1:\(try Ports.free())/api/v1/write"
            var agent = try DeliveryAgent(
                dir: dir, name: "twoep",
                config: deliveryConfig(
                    target: target.address,
                    remoteWrite: [
                        deliveryRemote(name: "down", url: closed), deliveryRemote(name: "prom", url: prom.writeURL),
                    ]))
            try await agent.start(http)
            defer { agent.current?.child.stop() }
            let logs = { [agent] in agent.logs() + "\n" + (prom.child?.tail() ?? "") }
            try await Task.sleep(for: .seconds(12))
            let now = target.scrapes
            let start = ContinuousClock.now
            try await waitDelivered(
                http, prom.base, series: Self.series, atLeast: now, timeout: .seconds(5), context: logs)
            let lag = ContinuousClock.now - start
            let m = try await agent.current!.metrics(http)
            let backlogDown = TextBody.sum(
                m.split(separator: "\n").filter { $0.contains("remote_name=\"down\"") }.joined(separator: "\n"),
                "promsls_remote_storage_wal_backlog_bytes")
            #expect(backlogDown > 0, "the down endpoint's backlog waits in the WAL")
            agent.child.stop()
            let got = try await rawSamples(http, prom.base, "delivery_test_value")
            let c = SeriesCheck(got["0"] ?? [])
            #expect(c.missing.isEmpty && c.disorder == 0 && c.first == 1, "\(c)")
            print(
                "delivery 6: healthy endpoint had scrape \(now) within \(lag); down endpoint backlog \(Int(backlogDown)) bytes; \(c)"
            )
        }
    }
}
