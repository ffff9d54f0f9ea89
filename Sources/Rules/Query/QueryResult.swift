import PromModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One sample of an instant vector (Prometheus API `result` entry of a `vector`).
public struct QuerySample: Sendable, Equatable {
    public var labels: Labels
    public var value: Double
    /// The sample's timestamp, ms since the epoch.
    public var timestampMs: Int64

    public init(labels: Labels, value: Double, timestampMs: Int64) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }
}

/// One series of a range vector (`matrix`), samples oldest first.
public struct QuerySeries: Sendable, Equatable {
    public var labels: Labels
    public var samples: [(timestampMs: Int64, value: Double)]

    public static func == (a: QuerySeries, b: QuerySeries) -> Bool {
        a.labels == b.labels && a.samples.elementsEqual(b.samples) { $0 == $1 }
    }
}

/// An instant query's result, by `resultType`
/// (https://prometheus.io/docs/prometheus/latest/querying/api/#expression-query-result-formats).
public enum QueryResult: Sendable, Equatable {
    case vector([QuerySample])
    case scalar(Double, timestampMs: Int64)
    case string(String, timestampMs: Int64)
    case matrix([QuerySeries])

    /// The result as an instant vector, as Prometheus's rule engine takes it: a scalar becomes
    /// one sample without labels; strings and matrices are errors.
    public func asVector() throws(QueryError) -> [QuerySample] {
        switch self {
        case .vector(let v): return v
        case .scalar(let v, let t): return [QuerySample(labels: Labels(), value: v, timestampMs: t)]
        case .string: throw QueryError(.badResult, "rule result is a string, not an instant vector")
        case .matrix: throw QueryError(.badResult, "rule result is a range vector, not an instant vector")
        }
    }
}

extension QueryResult {
    /// Decodes a Prometheus API response body (`{"status":"success","data":{…}}`).
    /// - Throws: `QueryError` `.server` for `"status":"error"` (with `errorType` and `error`),
    ///   `.badResult` for a body that is not the API's JSON.
    static func decode(_ body: [UInt8]) throws(QueryError) -> QueryResult {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body))
        } catch {
            throw QueryError(.badResult, "response is not the Prometheus API's JSON: \(snippet(body))")
        }
        guard envelope.status == "success" else {
            let type = envelope.errorType.map { "\($0): " } ?? ""
            throw QueryError(.server, "\(type)\(envelope.error ?? "status \(envelope.status)")")
        }
        guard let data = envelope.data else { throw QueryError(.badResult, "response has no data") }
        switch data.result {
        case .vector(let items):
            return .vector(
                items.map {
                    QuerySample(labels: Labels($0.metric), value: $0.value.value, timestampMs: $0.value.timestampMs)
                })
        case .matrix(let items):
            return .matrix(
                items.map {
                    QuerySeries(labels: Labels($0.metric), samples: $0.values.map { ($0.timestampMs, $0.value) })
                })
        case .scalar(let p):
            return .scalar(p.value, timestampMs: p.timestampMs)
        case .string(let p):
            return .string(p.value, timestampMs: p.timestampMs)
        case .unknown(let type):
            throw QueryError(.badResult, "unknown resultType \(quoted(type))")
        }
    }

    static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return body.count > 200 ? text + "…" : text
    }

    private struct Envelope: Decodable {
        var status: String
        var data: DataPart?
        var errorType: String?
        var error: String?
    }

    private struct DataPart: Decodable {
        enum Result {
            case vector([VectorItem]), matrix([MatrixItem]), scalar(PointValue), string(StringPoint), unknown(String)
        }
        var result: Result

        enum CodingKeys: String, CodingKey { case resultType, result }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let type = try c.decode(String.self, forKey: .resultType)
            switch type {
            case "vector": result = .vector(try c.decode([VectorItem].self, forKey: .result))
            case "matrix": result = .matrix(try c.decode([MatrixItem].self, forKey: .result))
            case "scalar": result = .scalar(try c.decode(PointValue.self, forKey: .result))
            case "string": result = .string(try c.decode(StringPoint.self, forKey: .result))
            default: result = .unknown(type)
            }
        }
    }

    private struct VectorItem: Decodable {
        var metric: [String: String]
        var value: PointValue
    }

    private struct MatrixItem: Decodable {
        var metric: [String: String]
        var values: [PointValue]
    }
}

/// `[<unix seconds>, "<value>"]`, the API's sample pair.
struct PointValue: Decodable {
    var timestampMs: Int64
    var value: Double

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let seconds = try c.decode(Double.self)
        timestampMs = Int64((seconds * 1000).rounded())
        let text = try c.decode(String.self)
        guard let v = parsePrometheusFloat(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad sample value \(text)")
        }
        value = v
    }
}

struct StringPoint: Decodable {
    var timestampMs: Int64
    var value: String

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        timestampMs = Int64((try c.decode(Double.self) * 1000).rounded())
        value = try c.decode(String.self)
    }
}

/// The API's value strings: Go's `strconv.FormatFloat` output, `NaN`, `+Inf`, `-Inf`.
func parsePrometheusFloat(_ text: String) -> Double? {
    switch text {
    case "NaN": return .nan
    case "+Inf", "Inf": return .infinity
    case "-Inf": return -.infinity
    default: return Double(text)
    }
}

/// A failed query: what kind of failure (a stable metric/log label) and the detail.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not connect, TLS, timeout.
        case transport
        /// An HTTP status other than 2xx without the API's error JSON.
        case http
        /// The API answered `"status":"error"`.
        case server
        /// A body that is not the API's JSON, or a result of the wrong type.
        case badResult = "bad_result"
        /// Rules have no query API configured.
        case notConfigured = "not_configured"
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status, when there was a response.
    public var status: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
