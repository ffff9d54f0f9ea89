import AgentConfig
import Foundation
import PromModel
import Prometheus
import TestSupport
import Testing

@testable import RemoteWrite

/// Issue 18: SLS error codes decide, not only the HTTP status (docs/sls.md has the table).
@Suite struct SLSErrorTests {
    static let now: Int64 = 1_445_412_480  // Wed, 21 Oct 2015 07:28:00 GMT
    static let url = "https://proj.cn-hangzhou.log.aliyuncs.com/prometheus/proj/store/api/v1/write"

    enum Want: Equatable {
        case retry(Duration?), final, split
    }

    static func body(_ code: String, _ message: String = "m") -> String {
        #"{"errorCode":"\#(code)","errorMessage":"\#(message)"}"#
    }

    static let cases: [(Int, String, Want)] = [
        (403, body("WriteQuotaExceed", "Project write quota exceed"), .retry(nil)),
        (403, body("ShardWriteQuotaExceed"), .retry(nil)),
        (403, body("ProjectQuotaExceed"), .retry(nil)),
        (503, body("ServerBusy"), .retry(nil)),
        (500, body("InternalServerError"), .retry(nil)),
        (401, body("Unauthorized", "denied by sts or ram"), .retry(.seconds(30))),
        (401, body("SignatureNotMatch"), .retry(.seconds(30))),
        (401, body("InvalidAccessKeyId"), .retry(.seconds(30))),
        (401, body("SecurityTokenExpired"), .retry(.seconds(30))),
        (404, body("ProjectNotExist"), .retry(.seconds(30))),
        (404, body("MetricStoreNotExist"), .retry(.seconds(30))),
        (404, body("LogStoreNotExist"), .retry(.seconds(30))),
        (400, body("PostBodyTooLarge"), .split),
        (400, body("RequestTimeTooSkewed"), .retry(nil)),
        (400, body("InvalidTimeRange"), .final),
        (400, body("InvalidTimestamp"), .final),
        (400, body("PostBodyInvalid"), .final),
        // Codes promsls does not know: the HTTP status decides, or the Metricstore's advice.
        (400, body("ParameterInvalid"), .final),
        (500, body("SomethingNew"), .retry(nil)),
        (
            400, #"{"slsStatus":{"retryPolicy":"None","errorCode":"Unauthorized","errorMessages":["x"]}}"#,
            .retry(.seconds(30))
        ),
    ]

    @Test(arguments: cases) func classify(_ c: (Int, String, Want)) {
        let (status, body, want) = c
        let sls = SLSError.parse(Array(body.utf8), requestID: "R1")
        #expect(sls != nil)
        let got = SendOutcome.classify(
            status: status, retryAfter: nil, body: Array(body.utf8), retryOnHTTP429: true, nowSeconds: Self.now,
            sls: sls, store: SLSStore(url: Self.url), serverDate: nil)
        switch (got, want) {
        case (.final, .final), (.tooLarge, .split): break
        case (.recoverable(_, let ra), .retry(let w)): #expect(ra == w, "\(body)")
        default: Issue.record("\(status) \(body): got \(got), want \(want)")
        }
    }

    @Test func reasonsSpeakTheUsersTerms() {
        func reason(_ status: Int, _ body: String, date: String? = nil) -> String {
            switch SendOutcome.classify(
                status: status, retryAfter: nil, body: Array(body.utf8), retryOnHTTP429: true, nowSeconds: Self.now,
                store: SLSStore(url: Self.url), serverDate: date)
            {
            case .recoverable(let r, _), .final(let r), .tooLarge(let r): return r
            case .success: return ""
            }
        }
        let missing = reason(404, Self.body("ProjectNotExist", "The Project does not exist : proj"))
        #expect(
            missing.contains(#"project "proj", metricstore "store", endpoint cn-hangzhou.log.aliyuncs.com"#),
            "\(missing)")
        let denied = reason(401, Self.body("Unauthorized"))
        #expect(denied.contains("lacking write permission") && denied.contains("retrying every 30"), "\(denied)")
        // The server's Date is 7:18:00, this host says 7:28:00: 600 s ahead.
        let skew = reason(400, Self.body("RequestTimeTooSkewed"), date: "Wed, 21 Oct 2015 07:18:00 GMT")
        #expect(skew.contains("600 s ahead"), "\(skew)")
        #expect(SLSStore(url: "http://127.0.0.1:9/api/v1/write") == nil)
        #expect(SLSStore(url: Self.url) == SLSStore(url: Self.url))
        #expect(SLSError.parse(Array("not json".utf8), requestID: nil) == nil)
        #expect(SLSError.parse(Array(#"{"status":"error"}"#.utf8), requestID: nil) == nil)
    }

    // PostBodyTooLarge: the batch goes again in halves, and halves of halves, until each is
    // small enough; nothing is dropped.
    @Test(.timeLimit(.minutes(1))) func aTooLargeBatchIsSplitAndDelivered() async throws {
        let tooLarge = Self.body("PostBodyTooLarge", "body size 4194305 must little than 3145728")
        let rx = TestReceiver { i, request in
            (request?.samples.count ?? 0) > 6 ? (400, [("x-log-requestid", "R\(i)")], tooLarge) : (200, [], "")
        }
        try await rx.withServer { url in
            let c = fastConfig(url: url, name: "big", maxSamples: 50)
            let client = try WriteClient(config: c, logger: testLogger)
            let reg = PrometheusCollectorRegistry()
            let qm = QueueManager(config: c, client: client, registry: reg, logger: testLogger)
            let input = makeSamples(40, series: 40)
            try await withRunning(qm) { await qm.enqueue(input) }
            await client.shutdown()
            #expect(rx.deliveredSamples.count == 40)
            #expect(Set(rx.deliveredSamples) == Set(input))
            #expect(rx.received.filter { $0.status == 200 }.allSatisfy { ($0.body?.samples.count ?? 0) <= 6 })
            #expect(metricSum(reg, "prometheus_remote_storage_samples_failed_total") == 0)
            #expect(metricSum(reg, "promsls_sls_errors_total") >= 1)
        }
    }

    // Refused credentials: retried (every 6 × max_backoff), a notice on the status pages
    // while it lasts, cleared by the first success; every refusal counted by code.
    @Test(.timeLimit(.minutes(1))) func refusedCredentialsAreRetriedLoudlyUntilTheyWork() async throws {
        let notices = NoticeBoard()
        let seen = NoticeBox()
        let clock = ManualClock()
        let rx = TestReceiver(clock: clock) { i in
            if i == 2 { seen.set(notices.all) }
            return i < 2
                ? (
                    401, [("x-log-requestid", "REQ-\(i)")],
                    Self.body("Unauthorized", "denied by sts or ram, action: log:PostLogStoreLogs")
                )
                : (200, [], "")
        }
        try await rx.withServer { url in
            let c = fastConfig(url: url, name: "creds", maxSamples: 100)
            let client = try WriteClient(config: c, logger: testLogger)
            let reg = PrometheusCollectorRegistry()
            let qm = QueueManager(
                config: c, client: client, registry: reg, logger: testLogger, notices: notices, clock: clock)
            try await withRunning(qm) {
                await qm.enqueue(makeSamples(5))
                // The back-off passes on the manual clock; wait for the third answer.
                try await whileDriving(clock) { await rx.waitUntil { $0.count == 3 } }
            }
            await client.shutdown()
            #expect(rx.deliveredSamples == makeSamples(5))
            #expect(
                metricValue(reg, #"promsls_sls_errors_total{remote_name="creds",url="\#(url)",code="Unauthorized"}"#)
                    == 2)
            #expect(metricSum(reg, "prometheus_remote_storage_samples_failed_total") == 0)
        }
        let during = seen.get()
        #expect(during.count == 1)
        #expect(during.first?.key == "remote_write creds")
        #expect(during.first?.message.contains("SLS refuses the credentials") == true, "\(during)")
        #expect(notices.all.isEmpty)
        // Two refusals at least 240 ms apart on the queue's clock (6 × max_backoff 40ms), not
        // the 10–40 ms of the backoff.
        let times = rx.received.map(\.at)
        #expect(times.count == 3 && times[1] - times[0] >= .milliseconds(240))
    }
}

final class NoticeBox: @unchecked Sendable {
    private let lock = NSLockLite()
    private var v: [NoticeBoard.Notice] = []
    func set(_ n: [NoticeBoard.Notice]) { lock.withLock { v = n } }
    func get() -> [NoticeBoard.Notice] { lock.withLock { v } }
}
