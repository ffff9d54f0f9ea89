import AgentConfig
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import PromModel
import Prometheus
import Rules
import Synchronization

/// Whether the agent is ready (config loaded, first targets applied): `/-/ready`.
public final class ReadinessFlag: Sendable {
    private let ready = Mutex(false)
    public init() {}
    public var isReady: Bool { ready.withLock { $0 } }
    public func set(_ v: Bool) { ready.withLock { $0 = v } }
}

/// The agent's own HTTP endpoints (Hummingbird), as Prometheus's web handler serves them:
/// `/metrics`, `/-/healthy`, `/-/ready`, `/-/reload` and `/-/quit` (POST or PUT, only with
/// `--web.enable-lifecycle`), the pages `/targets`, `/service-discovery`, `/config` (`/`
/// redirects to `/targets`), and the API `/api/v1/targets`, `/api/v1/targets/metadata`,
/// `/api/v1/status/config`, `/api/v1/scrape_pools`. Basic auth and TLS from `--web.config.file`.
public enum StatusServer {
    /// Returns nil on success or the error text.
    public typealias ReloadHandler = @Sendable () async -> String?
    /// Starts a graceful shutdown; called after the response is sent.
    public typealias QuitHandler = @Sendable () async -> Void

    /// What the web side serves and how.
    public struct Options: Sendable {
        /// Listen address (`--web.listen-address`).
        public var host: String
        public var port: Int
        /// Self-metrics, served on `/metrics` in text format 0.0.4.
        public var registry: PrometheusCollectorRegistry
        /// Read-only scrape state.
        public var targets: any TargetStatusProvider
        public var readiness: ReadinessFlag
        /// The running configuration (it changes on reload).
        public var config: @Sendable () async -> Config
        /// `POST /-/reload`; nil without `--web.enable-lifecycle`.
        public var reload: ReloadHandler?
        /// `POST /-/quit`; nil without `--web.enable-lifecycle`.
        public var quit: QuitHandler?
        /// `--web.config.file` (basic auth, TLS, headers); nil for plain HTTP without auth.
        public var webConfig: WebConfig?
        /// Called before `/metrics` renders (refreshes process metrics).
        public var beforeMetrics: @Sendable () -> Void
        /// Conditions shown as a banner on `/targets` (refused SLS credentials…).
        public var notices: NoticeBoard?
        /// The rule groups (`/rules`, `/alerts`, `/api/v1/rules`, `/api/v1/alerts`); nil: none.
        public var rules: (@Sendable () -> [RuleGroupStatus])?
        /// What `/rules` says about where rules are queried.
        public var rulesQueryNote: @Sendable () -> String = { "" }
        /// `/api/v1/alertmanagers`: active and dropped Alertmanager URLs.
        public var alertmanagers: (@Sendable () -> (active: [String], dropped: [String]))?

        public init(
            host: String, port: Int, registry: PrometheusCollectorRegistry, targets: any TargetStatusProvider,
            readiness: ReadinessFlag, config: @escaping @Sendable () async -> Config, reload: ReloadHandler? = nil,
            quit: QuitHandler? = nil, webConfig: WebConfig? = nil, beforeMetrics: @escaping @Sendable () -> Void = {},
            notices: NoticeBoard? = nil
        ) {
            self.notices = notices
            self.host = host
            self.port = port
            self.registry = registry
            self.targets = targets
            self.readiness = readiness
            self.config = config
            self.reload = reload
            self.quit = quit
            self.webConfig = webConfig
            self.beforeMetrics = beforeMetrics
        }
    }

    /// Builds the web server (a ServiceLifecycle service).
    /// - Throws: when the web config's TLS certificate, key or CA cannot be loaded.
    public static func makeServer(_ options: Options, logger: Logger) throws -> WebServer {
        try WebServer(
            router: makeRouter(options), host: options.host, port: options.port,
            tls: try options.webConfig?.tlsConfiguration(), logger: logger)
    }

    /// The routes (separate from the server so tests can drive them without a socket).
    public static func makeRouter(_ o: Options) -> Router<BasicRequestContext> {
        let router = Router()
        if let web = o.webConfig {
            if !web.headers.isEmpty {
                router.add(
                    middleware: ExtraHeadersMiddleware(
                        headers: web.headers.compactMap { n, v in HTTPField.Name(n).map { ($0, v) } }))
            }
            if !web.basicAuthUsers.isEmpty { router.add(middleware: BasicAuthMiddleware(users: web.basicAuthUsers)) }
        }
        let registry = o.registry
        let beforeMetrics = o.beforeMetrics
        router.get("/metrics") { _, _ -> Response in
            beforeMetrics()
            var out: [UInt8] = []
            out.reserveCapacity(32 << 10)
            registry.emit(into: &out)
            LabeledFamilies.attached(to: registry).emit(into: &out)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: out)))
        }
        addLifecycle(router, o)
        addPages(router, o)
        addAPI(router, o)
        return router
    }

    static func addLifecycle(_ router: Router<BasicRequestContext>, _ o: Options) {
        let readiness = o.readiness
        router.get("/-/healthy") { _, _ in text(.ok, "promsls is Healthy.\n") }
        router.head("/-/healthy") { _, _ in HTTPResponse.Status.ok }
        router.get("/-/ready") { _, _ -> Response in
            readiness.isReady ? text(.ok, "promsls is Ready.\n") : text(.serviceUnavailable, "Service Unavailable\n")
        }
        router.head("/-/ready") { _, _ in readiness.isReady ? HTTPResponse.Status.ok : .serviceUnavailable }
        let reload = o.reload
        let quit = o.quit
        let disabled = "Lifecycle API is not enabled.\n"
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/-/reload", method: method) { _, _ -> Response in
                guard let reload else { return text(.forbidden, disabled) }
                if let err = await reload() { return text(.internalServerError, "failed to reload config: \(err)\n") }
                return text(.ok, "")
            }
            router.on("/-/quit", method: method) { _, _ -> Response in
                guard let quit else { return text(.forbidden, disabled) }
                // Answer first, then shut down.
                Task {
                    try? await Task.sleep(for: .milliseconds(50))
                    await quit()
                }
                return text(.ok, "Requesting termination... Goodbye!\n")
            }
        }
        for path in ["/-/reload", "/-/quit"] {
            router.get(RouterPath(path)) { _, _ in text(.methodNotAllowed, "Only POST or PUT requests allowed\n") }
        }
    }

    static func addPages(_ router: Router<BasicRequestContext>, _ o: Options) {
        let targets = o.targets
        let notices = o.notices
        let config = o.config
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/targets"]) }
        router.get("/targets") { req, _ -> Response in
            let q = req.uri.queryParameters
            let filter = TargetsPage.Filter(
                onlyUnhealthy: q.get("health") == "unhealthy", pool: q.get("pool").flatMap { $0.isEmpty ? nil : $0 },
                search: q.get("search"))
            return html(
                TargetsPage.render(
                    pools: targets.scrapePools(), targets: targets.activeTargets(), filter: filter,
                    nowMs: currentTimeMs(), notices: notices?.all ?? []))
        }
        router.get("/service-discovery") { req, _ -> Response in
            let pool = req.uri.queryParameters.get("pool").flatMap { $0.isEmpty ? nil : $0 }
            return html(
                ServiceDiscoveryPage.render(
                    pools: targets.scrapePools(), active: targets.activeTargets(), dropped: targets.droppedTargets(),
                    droppedCounts: targets.droppedTargetCounts(), pool: pool))
        }
        router.get("/config") { _, _ -> Response in html(ConfigPage.render(yaml: await config().redactedYAML())) }
        let rules = o.rules ?? { [] }
        let note = o.rulesQueryNote
        router.get("/rules") { _, _ -> Response in
            html(RulesPages.rules(rules(), queryNote: note(), nowMs: currentTimeMs()))
        }
        router.get("/alerts") { _, _ -> Response in html(RulesPages.alerts(rules(), nowMs: currentTimeMs())) }
    }

    static func addAPI(_ router: Router<BasicRequestContext>, _ o: Options) {
        let targets = o.targets
        let config = o.config
        router.get("/api/v1/targets") { req, _ -> Response in
            let q = req.uri.queryParameters
            let state = q.get("state")?.lowercased()
            if let state, !["", "active", "dropped", "any"].contains(state) {
                return json(
                    .badRequest, JSON.error(type: "bad_data", "invalid state \"\(state)\": use active, dropped or any"))
            }
            return json(.ok, TargetsAPI.render(provider: targets, state: state, scrapePool: q.get("scrapePool")))
        }
        router.get("/api/v1/targets/metadata") { req, _ -> Response in
            let q = req.uri.queryParameters
            do throws(MetadataAPI.BadRequest) {
                let body = try MetadataAPI.render(
                    targets: targets.activeTargets(), matchTarget: q.get("match_target"), metric: q.get("metric"),
                    limit: q.get("limit"))
                return json(.ok, body)
            } catch {
                return json(.badRequest, JSON.error(type: "bad_data", error.message))
            }
        }
        router.get("/api/v1/status/config") { _, _ -> Response in
            json(.ok, JSON.success("{\"yaml\":\(JSON.string(await config().redactedYAML()))}"))
        }
        let rules = o.rules ?? { [] }
        router.get("/api/v1/rules") { req, _ -> Response in
            let q = req.uri.queryParameters
            let type = q.get("type")
            if let type, !["", "alert", "record"].contains(type) {
                return json(
                    .badRequest, JSON.error(type: "bad_data", "unsupported type \"\(type)\": use alert or record"))
            }
            let filter = RulesAPI.Filter(
                type: type, ruleNames: Set(q.getAll("rule_name[]")), groups: Set(q.getAll("rule_group[]")),
                files: Set(q.getAll("file[]")), excludeAlerts: q.get("exclude_alerts") == "true")
            return json(.ok, RulesAPI.rules(rules(), filter: filter))
        }
        router.get("/api/v1/alerts") { _, _ -> Response in json(.ok, RulesAPI.alerts(rules())) }
        let alertmanagers = o.alertmanagers ?? { ([], []) }
        router.get("/api/v1/alertmanagers") { _, _ -> Response in
            let (active, dropped) = alertmanagers()
            func list(_ urls: [String]) -> String { urls.map { "{\"url\":\(JSON.string($0))}" }.joined(separator: ",") }
            return json(
                .ok,
                JSON.success("{\"activeAlertmanagers\":[\(list(active))],\"droppedAlertmanagers\":[\(list(dropped))]}"))
        }
        router.get("/api/v1/scrape_pools") { _, _ -> Response in
            json(
                .ok,
                JSON.success("{\"scrapePools\":[\(targets.scrapePools().map(JSON.string).joined(separator: ","))]}"))
        }
    }

    static func text(_ status: HTTPResponse.Status, _ s: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func html(_ s: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func json(_ status: HTTPResponse.Status, _ s: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}
