import AgentConfig
import Foundation
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

@Suite(.serialized) struct WriteClientTests {
    @Test func retries500ThenDeliversEverySampleOnceInOrder() async throws {
        let rx = TestReceiver { i in i < 3 ? (500, [], "oops") : (204, [], "") }
        let input = makeSamples(25)
        try await rx.withServer { url in
            let c = fastConfig(url: url, name: "r500")
            let client = try WriteClient(config: c, logger: testLogger)
            let reg = PrometheusCollectorRegistry()
            let clock = ManualClock()
            let qm = QueueManager(config: c, client: client, registry: reg, logger: testLogger, clock: clock)
            try await withRunning(qm) {
                await qm.enqueue(input)
                // Back-off and batch deadlines pass on the manual clock.
                try await whileDriving(clock) { await rx.waitUntil { $0.filter { $0.status == 204 }.count == 3 } }
            }
            await client.shutdown()
            #expect(
                metricValue(reg, #"prometheus_remote_storage_samples_retried_total{remote_name="r500",url="\#(url)"}"#)
                    == 30)
            #expect(
                metricValue(
                    reg,
                    #"promsls_remote_storage_http_failures_total{remote_name="r500",url="\#(url)",status_code="500"}"#)
                    == 3)
        }
        #expect(rx.received.count == 6)  // 3 failures of the first batch, then 3 batches of ≤ 10
        #expect(rx.deliveredSamples == input)
    }

    @Test func dropsOn400WithoutResending() async throws {
        let rx = TestReceiver { _ in (400, [("x-sls-request-id", "REQ-1")], #"{"error":"out of bounds"}"#) }
        try await rx.withServer { url in
            let c = fastConfig(url: url, name: "r400", maxSamples: 100)
            let client = try WriteClient(config: c, logger: testLogger)
            let reg = PrometheusCollectorRegistry()
            let clock = ManualClock()
            let qm = QueueManager(config: c, client: client, registry: reg, logger: testLogger, clock: clock)
            try await withRunning(qm) {
                await qm.enqueue(makeSamples(5))
                // Dropped for good is acknowledged: the position passes the batch.
                try await whileDriving(clock) { await qm.waitUntilAcked(qm.wal.end) }
            }
            await client.shutdown()
            #expect(
                metricValue(reg, #"prometheus_remote_storage_samples_failed_total{remote_name="r400",url="\#(url)"}"#)
                    == 5)
            #expect(
                metricValue(
                    reg,
                    #"promsls_remote_storage_http_failures_total{remote_name="r400",url="\#(url)",status_code="400"}"#)
                    == 1)
            #expect(
                (metricValue(reg, #"prometheus_remote_storage_samples_total{remote_name="r400",url="\#(url)"}"#) ?? 0)
                    == 0)
        }
        #expect(rx.received.count == 1)
    }

    @Test func honoursRetryAfterOn429() async throws {
        let clock = ManualClock()
        let rx = TestReceiver(clock: clock) { i in i == 0 ? (429, [("Retry-After", "2")], "slow down") : (200, [], "") }
        try await rx.withServer { url in
            let c = fastConfig(url: url, name: "r429")
            let client = try WriteClient(config: c, logger: testLogger)
            let qm = QueueManager(
                config: c, client: client, registry: PrometheusCollectorRegistry(), logger: testLogger, clock: clock)
            try await withRunning(qm) {
                await qm.enqueue(makeSamples(3))
                try await whileDriving(clock) { await rx.waitUntil { $0.count == 2 } }
            }
            await client.shutdown()
        }
        let r = rx.received
        #expect(r.count == 2)
        #expect(rx.deliveredSamples == makeSamples(3))
        // Retry-After (2 s) rather than the 10 ms back-off, on the queue's clock.
        if r.count == 2 { #expect(r[1].at - r[0].at >= .seconds(2)) }
    }

    @Test func sendsSpecHeadersCustomHeadersAndBasicAuth() async throws {
        let rx = TestReceiver { _ in (204, [], "") }
        try await rx.withServer { url in
            var c = fastConfig(url: url, name: "hdr")
            c.headers = ["X-Scope-OrgID": "tenant-1", "User-Agent": "ignored"]
            c.httpClient.basicAuth = BasicAuth(username: "LTAIkey", password: Secret("s3cr$t$STS.tok"))
            let client = try WriteClient(config: c, logger: testLogger)
            let r = await client.send(try Snappy.compress(encodeOnce(makeSamples(1))))
            await client.shutdown()
            #expect(r.outcome == .success)
            #expect(r.statusCode == 204)
        }
        let h = try #require(rx.received.first?.headers)
        #expect(h["content-encoding"] == "snappy")
        #expect(h["content-type"] == "application/x-protobuf")
        let ua: String = "promsls/" + promslsVersion
        #expect(h["user-agent"] == ua)
        #expect(h["x-prometheus-remote-write-version"] == "0.1.0")
        #expect(h["x-scope-orgid"] == "tenant-1")
        #expect(h["authorization"] == "Basic " + Data("LTAIkey:s3cr$t$STS.tok".utf8).base64EncodedString())
        #expect(rx.received.first?.body?.samples == makeSamples(1))
    }

    @Test func bearerAuthorizationAndSLSQuota403() async throws {
        let quota = #"{"status":"error","slsStatus":{"retryPolicy":"Continuous","errorCode":"ShardWriteQuotaExceed"}}"#
        let rx = TestReceiver { i in i == 0 ? (403, [("x-sls-request-id", "R1")], quota) : (200, [], "") }
        try await rx.withServer { url in
            var c = fastConfig(url: url, name: "bearer")
            c.httpClient.authorization = Authorization(credentials: Secret("tok"))
            let client = try WriteClient(config: c, logger: testLogger)
            let body = try Snappy.compress(encodeOnce(makeSamples(1)))
            let first = await client.send(body)
            #expect(first.outcome.isRecoverable)
            #expect(first.requestID == "R1")
            #expect(first.bodyPrefix == quota)
            #expect(await client.send(body).outcome == .success)
            await client.shutdown()
        }
        #expect(rx.received.first?.headers["authorization"] == "Bearer tok")
    }

    @Test func connectionRefusedIsRecoverable() async throws {
        var c = fastConfig(url: "http://127.0.0.1:1/api/v1/write")
        c.remoteTimeout = .seconds(2)
        let client = try WriteClient(config: c, logger: testLogger)
        let r = await client.send([0])
        await client.shutdown()
        #expect(r.outcome.isRecoverable)
        #expect(r.statusCode == nil)
    }

    @Test func missingCAFileIsAConstructionError() {
        var c = RemoteWriteConfig(url: "https://example.invalid/")
        c.httpClient.tlsConfig.caFile = "/nonexistent/ca.pem"
        #expect(throws: WriteClientError.self) { try WriteClient(config: c, logger: testLogger) }
    }
}
