import Testing

@testable import RemoteWrite

@Suite struct SendOutcomeTests {
    enum Want: Equatable {
        case success, final, retry(Duration?)
    }

    static let now: Int64 = 1_445_412_480  // Wed, 21 Oct 2015 07:28:00 GMT

    static let slsQuota =
        #"{"status":"error","slsStatus":{"retryPolicy":"Continuous","errorCode":"WriteQuotaExceed","errorMessages":["x"]}}"#
    static let slsOnce = #"{"slsStatus":{"retryPolicy":"Once","errorCode":"Throttled"}}"#
    static let slsShard = #"{"slsStatus":{"retryPolicy":"None","errorCode":"ShardWriteQuotaExceed"}}"#
    static let slsBusy = #"{"errorCode":"ServerBusy","errorMessage":"busy"}"#
    static let slsDenied = #"{"slsStatus":{"retryPolicy":"None","errorCode":"Unauthorized"}}"#

    static let cases: [(Int, String?, String, Bool, Want)] = [
        (200, nil, "", true, .success),
        (204, nil, "", true, .success),
        (400, nil, "bad request", true, .final),
        (401, nil, "", true, .final),
        (403, nil, slsQuota, true, .retry(nil)),
        (403, "3", slsOnce, true, .retry(.seconds(3))),
        (403, nil, slsShard, true, .retry(nil)),
        (403, nil, slsBusy, true, .retry(nil)),
        (403, nil, slsDenied, true, .retry(.seconds(30))),  // credentials: retried slowly (SLSErrorTests)
        (403, nil, "Forbidden", true, .final),
        (404, nil, "", true, .final),
        (429, nil, "", true, .retry(nil)),
        (429, "2", "", true, .retry(.seconds(2))),
        (429, "Wed, 21 Oct 2015 07:28:07 GMT", "", true, .retry(.seconds(7))),
        (429, "Wed, 21 Oct 2015 07:00:00 GMT", "", true, .retry(.zero)),
        (429, "soon", "", true, .retry(nil)),
        (429, "2", "", false, .final),
        (500, nil, "", true, .retry(nil)),
        (503, "1", "", true, .retry(.seconds(1))),
        (302, nil, "", true, .final),
    ]

    @Test(arguments: cases)
    func classify(_ c: (Int, String?, String, Bool, Want)) {
        let (status, retryAfter, body, on429, want) = c
        let got = SendOutcome.classify(
            status: status, retryAfter: retryAfter, body: Array(body.utf8), retryOnHTTP429: on429, nowSeconds: Self.now)
        switch (got, want) {
        case (.success, .success), (.final, .final): break
        case (.recoverable(_, let ra), .retry(let w)): #expect(ra == w, "status \(status)")
        default: Issue.record("status \(status) retry-after \(retryAfter ?? "-"): got \(got), want \(want)")
        }
    }

    @Test func networkErrorIsRecoverable() {
        struct Boom: Error {}
        #expect(SendOutcome.classify(error: Boom()).isRecoverable)
    }

    @Test func httpDateParsing() {
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
    }

    @Test func backoffDoublesToMaxAndHonoursRetryAfter() {
        var b = Backoff(minBackoff: .milliseconds(30), maxBackoff: .milliseconds(100))
        #expect(b.failed(retryAfter: nil) == .milliseconds(30))
        #expect(b.failed(retryAfter: nil) == .milliseconds(60))
        #expect(b.failed(retryAfter: .seconds(2)) == .seconds(2))
        #expect(b.failed(retryAfter: nil) == .milliseconds(100))
        #expect(b.failed(retryAfter: nil) == .milliseconds(100))
        #expect(b.attempts == 5)
        b.reset()
        #expect(b.failed(retryAfter: nil) == .milliseconds(30))
    }
}
