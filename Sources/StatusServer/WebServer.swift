import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PromModel
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The status server as a ServiceLifecycle service: Hummingbird's HTTP/1 server (TLS when the
/// web config has a certificate) with the router's responder, as `Application.run` builds it,
/// but without `Application`'s `Date` header cache, a task that wakes every second to format
/// the time again whether or not anyone asks (an idle agent's most frequent wake-up). The
/// `Date` header (RFC 9110 §6.6.1) is formatted when a response needs it, at most once per
/// second (`HTTPDate`).
public struct WebServer: Service {
    private let server: any Service

    /// - Throws: what Hummingbird throws building the server (an invalid TLS configuration).
    public init(
        router: Router<BasicRequestContext>, host: String, port: Int, tls: TLSConfiguration?, logger: Logger
    ) throws {
        let responder = router.buildResponder()
        let date = HTTPDate()
        let builder: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        server = try builder.buildServer(
            configuration: ServerConfiguration(address: .hostname(host, port: port), serverName: "promsls"),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger
        ) { (request, responseWriter: consuming ResponseWriter, channel) in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                // A malformed request body: the channel handler answers it (400) and closes.
                throw error
            } catch {
                logger.debug("unrecognised error", metadata: ["err": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = date.now()
            response.headers[.server] = "promsls"
            try await responseWriter.write(response: response.head, body: response.body)
        }
    }

    public func run() async throws { try await server.run() }
}

/// The `Date` header value (RFC 9110 §5.6.7 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) of the
/// current second, formatted on the first request of each second.
final class HTTPDate: Sendable {
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let second = Int(ts.tv_sec)
        return cache.withLock { c in
            if c.second != second { c = (second, Self.format(epochSeconds: second)) }
            return c.text
        }
    }

    /// IMF-fixdate of a Unix time (seconds since 1970-01-01T00:00:00Z; days before 1970 too).
    static func format(epochSeconds t: Int) -> String {
        let c = CivilTime(unixSeconds: Int64(t))
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var y = String(c.year)
        while y.count < 4 { y = "0" + y }
        return
            "\(names[c.weekday]), \(two(c.day)) \(months[c.month - 1]) \(y) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }
}
