import AgentConfig
import PromModel
import Testing

@testable import Rules

/// The Prometheus query API's JSON and where rules send their queries.
struct QueryTests {
    @Test func vectorScalarMatrixAndErrorsDecode() throws {
        let vector =
            #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.123,"1"]},{"metric":{},"value":[1700000000.123,"NaN"]}]}}"#
        let v = try QueryResult.decode(Array(vector.utf8)).asVector()
        #expect(v.count == 2 && v[0].labels == Labels(["__name__": "up", "job": "a"]) && v[0].value == 1)
        #expect(v[0].timestampMs == 1_700_000_000_123 && v[1].value.isNaN)
        let scalar = #"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"+Inf"]}}"#
        #expect(
            try QueryResult.decode(Array(scalar.utf8)).asVector() == [
                QuerySample(labels: Labels(), value: .infinity, timestampMs: 1_700_000_000_000)
            ])
        let matrix =
            #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"2.5"]]}]}}"#
        guard case .matrix(let m) = try QueryResult.decode(Array(matrix.utf8)) else {
            Issue.record("not a matrix"); return
        }
        #expect(m[0].samples.map(\.value) == [1, 2.5] && m[0].samples.map(\.timestampMs) == [1000, 2000])
        #expect(throws: QueryError.self) { try QueryResult.decode(Array(matrix.utf8)).asVector() }
        let error = #"{"status":"error","errorType":"bad_data","error":"1:4: parse error: unexpected end of input"}"#
        do {
            _ = try QueryResult.decode(Array(error.utf8))
            Issue.record("decoded an error")
        } catch {
            #expect(error.kind == .server && error.message == "bad_data: 1:4: parse error: unexpected end of input")
        }
        do {
            _ = try QueryResult.decode(Array("<html>502 Bad Gateway</html>".utf8))
            Issue.record("decoded HTML")
        } catch {
            #expect(error.kind == .badResult && error.message.contains("502 Bad Gateway"))
        }
    }

    @Test func formEncodingAndTime() {
        #expect(formEncode(#"sum(rate(x{a="b c"}[5m]))"#) == "sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29")
        #expect(formatSeconds(1_700_000_000_123) == "1700000000.123")
        #expect(formatSeconds(5) == "0.005")
    }

    @Test func theQueryTargetIsChosenAsDocumented() throws {
        func target(_ yaml: String) throws -> Result<QueryTarget, NoQueryTarget> {
            QueryTarget.select(try ConfigLoader.load(yaml: yaml, environment: [:]))
        }
        let sls = try target(
            """
            sls: {project: p, endpoint: cn-hangzhou.log.aliyuncs.com, metricstore: m, access_key_id: i, access_key_secret: s}
            rule_query: {url: "http://prom:9090"}
            remote_write: [{url: "http://vm:8428/api/v1/write"}]
            """)
        #expect(try sls.get().queryURL == "https://p.cn-hangzhou.log.aliyuncs.com/prometheus/p/m/api/v1/query")
        #expect(try sls.get().source == .sls(project: "p", metricstore: "m"))
        let q = try target(
            "rule_query: {url: \"http://prom:9090/\", timeout: 5s}\nremote_write: [{url: \"http://vm:8428/api/v1/write\"}]"
        )
        #expect(try q.get().queryURL == "http://prom:9090/api/v1/query" && q.get().timeout == .seconds(5))
        let rw = try target(
            "remote_write: [{url: \"http://vm:8428/api/v1/write\", name: vm}, {url: \"http://other/push\"}]")
        #expect(try rw.get().queryURL == "http://vm:8428/api/v1/query" && rw.get().source == .remoteWrite(name: "vm"))
        let tenant = try target("remote_write: [{url: \"http://vm:8428/api/v1/write?extra_label=tenant%3Da\"}]")
        #expect(try tenant.get().queryURL == "http://vm:8428/api/v1/query?extra_label=tenant%3Da")
        let two = try target("remote_write: [{url: \"http://a/api/v1/write\"}, {url: \"http://b/api/v1/write\"}]")
        #expect(throws: NoQueryTarget.self) { try two.get() }
        let none = try target("remote_write: [{url: \"http://other/push\"}]")
        guard case .failure(let why) = none else { Issue.record("chose one"); return }
        #expect(why.reason.contains("add an sls: section, a rule_query: section"))
    }
}
