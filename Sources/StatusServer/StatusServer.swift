import Hummingbird
import Logging
import NIOCore
import PromModel
import Prometheus

/// Whether the agent is ready (config loaded, first targets applied): `/-/ready`.
public final class ReadinessFlag: @unchecked Sendable {
    private let lock = NSLockLite()
    private var ready = false
    public init() {}
    public var isReady: Bool { lock.withLock { ready } }
    public func set(_ v: Bool) { lock.withLock { ready = v } }
}

/// The agent's own HTTP endpoints (Hummingbird): `/metrics`, `/-/healthy`, `/-/ready`,
/// `/-/reload` (POST, only with `--web.enable-lifecycle`), `/targets`, `/api/v1/targets`.
public enum StatusServer {
    public typealias ReloadHandler = @Sendable () async -> String?

    /// Builds the web application.
    /// - Parameters:
    ///   - host/port: listen address (`--web.listen-address`).
    ///   - registry: self-metrics, served on `/metrics` in text format 0.0.4.
    ///   - targets: read-only scrape state.
    ///   - reload: when non-nil, `POST /-/reload` calls it; it returns nil on success or the
    ///     error text.
    ///   - beforeMetrics: called before `/metrics` renders (refreshes process metrics).
    public static func makeApplication(
        host: String, port: Int, registry: PrometheusCollectorRegistry, targets: any TargetStatusProvider,
        readiness: ReadinessFlag, reload: ReloadHandler?, beforeMetrics: @escaping @Sendable () -> Void = {},
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            beforeMetrics()
            var out: [UInt8] = []
            out.reserveCapacity(16 << 10)
            registry.emit(into: &out)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: out)))
        }
        router.get("/-/healthy") { _, _ in "promsls is Healthy.\n" }
        router.head("/-/healthy") { _, _ in HTTPResponse.Status.ok }
        router.get("/-/ready") { _, _ -> Response in
            if readiness.isReady { return text(.ok, "promsls is Ready.\n") }
            return text(.serviceUnavailable, "Service Unavailable\n")
        }
        router.post("/-/reload") { _, _ -> Response in
            guard let reload else {
                return text(.forbidden, "Lifecycle API is not enabled.\n")
            }
            if let err = await reload() { return text(.internalServerError, "failed to reload config: \(err)\n") }
            return text(.ok, "")
        }
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/targets"]) }
        router.get("/targets") { req, _ -> Response in
            let onlyUnhealthy = req.uri.queryParameters.get("health") == "unhealthy"
            let html = TargetsPage.render(targets.activeTargets(), onlyUnhealthy: onlyUnhealthy, nowMs: currentTimeMs())
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/api/v1/targets") { _, _ -> Response in
            let json = TargetsAPI.render(active: targets.activeTargets(), dropped: targets.droppedTargets())
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "promsls"),
            logger: logger)
    }

    static func text(_ status: HTTPResponse.Status, _ s: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}
