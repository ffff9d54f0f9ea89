import AgentConfig
import AsyncHTTPClient
import HTTPClientSupport
import NIOCore
import PromModel
import Yams

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why talking to the API server failed.
struct KubeAPIError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status, or the `code` of a watch `ERROR` event; `nil` for transport errors.
    var status: Int?
    var description: String
    /// `410 Gone` / `Expired`: the resource version is too old; list again.
    var isGone: Bool { status == 410 }
}

/// Where and how to reach an API server: in-cluster (service-account token and CA),
/// `kubeconfig_file`, or `api_server` with the job's HTTP client options, as Prometheus's
/// `kubernetes.New` (client-go's `rest.InClusterConfig`, `clientcmd.BuildConfigFromFlags`).
struct KubeConnection: Sendable, Equatable {
    /// `https://host:port`, without a trailing slash.
    var baseURL: String
    var httpClient: HTTPClientConfig
    /// The pod's own namespace (in-cluster only), for `namespaces.own_namespace`.
    var ownNamespace: String?

    /// The service-account directory a pod has mounted.
    static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// - Parameters:
    ///   - environment: where `KUBERNETES_SERVICE_HOST` / `_PORT` are read (in-cluster).
    ///   - serviceAccountDirectory: where `token`, `ca.crt` and `namespace` are read (in-cluster).
    /// - Throws: `KubeAPIError` when in-cluster and not in a pod, or the kubeconfig is unusable.
    static func resolve(
        _ config: KubernetesSDConfig, environment: [String: String],
        serviceAccountDirectory: String = serviceAccountDirectory
    ) throws -> KubeConnection {
        if let file = config.kubeconfigFile { return try KubeConfigFile.connection(path: file) }
        if let server = config.apiServer {
            return KubeConnection(baseURL: trimSlash(server), httpClient: config.httpClient)
        }
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeAPIError(
                description:
                    "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined (set api_server or kubeconfig_file when promsls runs outside the cluster)"
            )
        }
        let dir = serviceAccountDirectory
        guard FileManager.default.isReadableFile(atPath: dir + "/token") else {
            throw KubeAPIError(description: "unable to read the service-account token \(dir)/token")
        }
        var client = HTTPClientConfig()
        client.authorization = Authorization(type: "Bearer", credentials: Secret(""), credentialsFile: dir + "/token")
        client.tlsConfig.caFile = dir + "/ca.crt"
        var own: String?
        if config.namespaces.ownNamespace {
            guard let data = FileManager.default.contents(atPath: dir + "/namespace") else {
                throw KubeAPIError(description: "could not determine the pod's namespace: cannot read \(dir)/namespace")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw KubeAPIError(description: "could not read own namespace name (empty file)")
            }
            own = text
        }
        let h = host.contains(":") ? "[\(host)]" : host
        return KubeConnection(baseURL: "https://\(h):\(port)", httpClient: client, ownNamespace: own)
    }

    static func trimSlash(_ s: String) -> String {
        var s = s
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
}

/// LIST and WATCH over HTTP with JSON, as the API server documents them:
/// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
final class KubeAPI: Sendable {
    let connection: KubeConnection
    let client: ConfiguredHTTPClient
    /// Items per LIST page (client-go's pager uses 500).
    static let pageSize = 500
    /// The largest JSON line of a watch stream, or body of a LIST page, accepted.
    static let maxBodyBytes = 256 << 20

    /// - Throws: when the TLS files cannot be loaded.
    init(connection: KubeConnection) throws {
        self.connection = connection
        client = try ConfiguredHTTPClient(config: connection.httpClient, connectTimeout: .seconds(10))
    }

    func shutdown() async { await client.shutdown() }

    struct ListMeta: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }

    struct List<T: Decodable>: Decodable {
        var metadata: ListMeta?
        var items: [T]?
    }

    struct Status: Decodable {
        var code: Int?
        var reason: String?
        var message: String?
    }

    /// Every object of `resource` (all pages), and the list's resource version.
    /// - Throws: `KubeAPIError` (with the status and the API server's message) or
    ///   `CancellationError`.
    func list<T: KubeObject>(
        _ resource: KubeResource, namespace: String?, labelSelector: String?, fieldSelector: String?,
        as type: T.Type
    ) async throws -> (items: [T], resourceVersion: String) {
        var items: [T] = []
        var next: String? = nil
        repeat {
            var query: [(String, String)] = [("limit", "\(Self.pageSize)")]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
            if let next { query.append(("continue", next)) }
            let url = connection.baseURL + resource.path(namespace: namespace) + Self.queryString(query)
            let body = try await get(url, timeout: .seconds(60))
            let page: List<T>
            do {
                page = try JSONDecoder().decode(List<T>.self, from: Data(body.readableBytesView))
            } catch {
                throw KubeAPIError(description: "LIST \(resource.rawValue): cannot decode the response: \(error)")
            }
            items.append(contentsOf: page.items ?? [])
            next = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
            if next == nil { return (items, page.metadata?.resourceVersion ?? "") }
        } while true
    }

    private func get(_ url: String, timeout: TimeAmount) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        Self.addHeaders(&request)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw KubeAPIError(description: "GET \(url): \(HTTPClientSupport.describe(error))")
        }
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        guard response.status == .ok else { throw Self.statusError(response.status.code, body, url: url) }
        return body
    }

    /// One watch event as the stream sends it.
    enum Event<T: KubeObject> {
        case added(T), modified(T), deleted(T)
        /// A newer resource version with no change (`allowWatchBookmarks`).
        case bookmark(String)
    }

    private struct Head: Decodable { var type: String }
    private struct Body<O: Decodable>: Decodable { var object: O }
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    /// Watches from `resourceVersion` until the server ends the stream (after `timeoutSeconds`),
    /// calling `handle` for every event in order.
    /// - Throws: `KubeAPIError` (410 when the version is too old, as an HTTP status or an
    ///   `ERROR` event), `CancellationError`, or what `handle` throws.
    func watch<T: KubeObject>(
        _ resource: KubeResource, namespace: String?, labelSelector: String?, fieldSelector: String?,
        resourceVersion: String, timeoutSeconds: Int, as type: T.Type,
        handle: (Event<T>) async throws -> Void
    ) async throws {
        var query: [(String, String)] = [
            ("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion),
            ("timeoutSeconds", "\(timeoutSeconds)"),
        ]
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        let url = connection.baseURL + resource.path(namespace: namespace) + Self.queryString(query)
        var request = HTTPClientRequest(url: url)
        Self.addHeaders(&request)
        let response: HTTPClientResponse
        do {
            // The server ends the stream after timeoutSeconds; the margin catches a dead peer.
            response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds) + 30))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw KubeAPIError(description: "WATCH \(resource.rawValue): \(HTTPClientSupport.describe(error))")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw Self.statusError(response.status.code, body, url: url)
        }
        var pending: [UInt8] = []
        let decoder = JSONDecoder()
        do {
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                var start = 0
                while let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[start..<nl]
                    start = nl + 1
                    if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                    try await handleLine(Data(line), resource: resource, decoder: decoder, handle: handle)
                }
                if start > 0 { pending.removeFirst(start) }
                if pending.count > Self.maxBodyBytes {
                    throw KubeAPIError(description: "WATCH \(resource.rawValue): an event larger than 256 MiB")
                }
            }
        } catch let error as KubeAPIError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw KubeAPIError(description: "WATCH \(resource.rawValue): \(HTTPClientSupport.describe(error))")
        }
        if !pending.isEmpty, !pending.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 }) {
            try await handleLine(Data(pending), resource: resource, decoder: decoder, handle: handle)
        }
    }

    private func handleLine<T: KubeObject>(
        _ line: Data, resource: KubeResource, decoder: JSONDecoder, handle: (Event<T>) async throws -> Void
    ) async throws {
        do {
            let head = try decoder.decode(Head.self, from: line)
            switch head.type {
            case "ADDED": try await handle(.added(try decoder.decode(Body<T>.self, from: line).object))
            case "MODIFIED": try await handle(.modified(try decoder.decode(Body<T>.self, from: line).object))
            case "DELETED": try await handle(.deleted(try decoder.decode(Body<T>.self, from: line).object))
            case "BOOKMARK":
                let rv = try decoder.decode(Body<BookmarkObject>.self, from: line).object.metadata?.resourceVersion
                if let rv, !rv.isEmpty { try await handle(.bookmark(rv)) }
            case "ERROR":
                let status = try decoder.decode(Body<Status>.self, from: line).object
                throw KubeAPIError(
                    status: status.code,
                    description:
                        "WATCH \(resource.rawValue): \(status.code.map(String.init) ?? "error") \(status.reason ?? ""): \(status.message ?? "")"
                )
            default:
                throw KubeAPIError(description: "WATCH \(resource.rawValue): unknown event type \(head.type)")
            }
        } catch let error as DecodingError {
            throw KubeAPIError(description: "WATCH \(resource.rawValue): cannot decode an event: \(error)")
        }
    }

    static func addHeaders(_ request: inout HTTPClientRequest) {
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "promsls/\(promslsVersion) (kubernetes-sd)")
    }

    /// `KubeAPIError` for a non-200 answer, with the `Status` message the API server sends.
    static func statusError(_ code: UInt, _ body: ByteBuffer, url: String) -> KubeAPIError {
        let status = try? JSONDecoder().decode(Status.self, from: Data(body.readableBytesView))
        let text = status?.message ?? String(buffer: body).prefix(512).description
        return KubeAPIError(status: Int(code), description: "GET \(url): HTTP \(code): \(text)")
    }

    static func queryString(_ items: [(String, String)]) -> String {
        "?" + items.map { "\($0.0)=\(kubePercentEncoded($0.1))" }.joined(separator: "&")
    }

}
