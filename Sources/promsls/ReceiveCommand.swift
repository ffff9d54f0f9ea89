import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import PromModel
import RemoteWrite
import Synchronization

/// `promsls receive --listen ADDR`: a small remote-write 1.0 receiver for trying promsls
/// without a cloud account. It checks the protocol headers, decodes each request and prints
/// one line per request.
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive", abstract: "Run a local remote-write receiver that prints each request.")

    @Option(name: .customLong("listen"), help: "host:port to listen on.")
    var listen = "127.0.0.1:9201"

    func run() async throws {
        guard let (host, port) = splitHostPort(listen) else { throw ValidationError("--listen must be host:port") }
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: .warning, format: .logfmt) }
        let counter = RequestCounter()
        let router = Router()
        router.post("/api/v1/write") { req, ctx -> Response in
            if let problem = RemoteWriteHeaders.check(req.headers) {
                say("receive: rejected request: \(problem)")
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: problem + "\n")))
            }
            let buf = try await req.body.collect(upTo: 64 << 20)
            let body = Array(buf.readableBytesView)
            let decoded: DecodedWriteRequest
            do {
                decoded = try WriteRequestDecoder.decode(snappyCompressed: body)
            } catch {
                say("receive: rejected request: cannot decode: \(error)")
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
            }
            say(counter.describe(decoded, compressedBytes: body.count))
            return Response(status: .noContent)
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "promsls-receive"))
        say("receive: listening on http://\(host):\(port)/api/v1/write")
        try await app.runService()
    }
}

/// The remote write 1.0 request headers a receiver must see.
/// See https://prometheus.io/docs/specs/prw/remote_write_spec/#protocol
enum RemoteWriteHeaders {
    /// Returns a description of the first problem, or nil when the headers are right.
    static func check(_ h: HTTPFields) -> String? {
        if h[.contentEncoding]?.lowercased() != "snappy" { return "Content-Encoding must be snappy" }
        if h[.contentType]?.lowercased().hasPrefix("application/x-protobuf") != true {
            return "Content-Type must be application/x-protobuf"
        }
        let version = h.first { $0.name.canonicalName == "x-prometheus-remote-write-version" }?.value
        guard let v = version, v.hasPrefix("0.1.") else {
            return "X-Prometheus-Remote-Write-Version must be 0.1.0"
        }
        if h[.userAgent] == nil { return "User-Agent is required" }
        return nil
    }
}

/// Numbers the requests and formats the one-line summary.
final class RequestCounter: Sendable {
    /// Requests so far, samples so far.
    private let counts = Mutex((n: 0, totalSamples: 0))

    func describe(_ r: DecodedWriteRequest, compressedBytes: Int) -> String {
        let samples = r.timeseries.reduce(0) { $0 + $1.samples.count }
        let (seq, total) = counts.withLock { c in
            c.n += 1
            c.totalSamples += samples
            return (c.n, c.totalSamples)
        }
        var line =
            "request=\(seq) series=\(r.timeseries.count) samples=\(samples) metadata=\(r.metadata.count) bytes=\(compressedBytes) total_samples=\(total)"
        if let ex = r.timeseries.first(where: { $0.labels.name == "up" }) ?? r.timeseries.first,
            let s = ex.samples.first
        {
            line += " example=\(String(reflecting: ex.labels.description)) value=\(s.value) ts=\(s.timestampMs)"
        }
        return line
    }
}

/// Writes one line to stdout unbuffered (the receiver's output is read live).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
