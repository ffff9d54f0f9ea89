import AgentConfig
import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPClientSupport
import Logging
import NIOCore
import PromModel
import RemoteWrite

/// `promsls check sls`: tries the config's `sls:` entry end to end — the endpoint resolves, TLS
/// completes, credentials come from the chain, one write of `promsls_check_sls` is accepted
/// and one query answers — and says, for what fails, the likely cause in the user's terms.
/// Exit 0 only when the write succeeded.
struct CheckSLS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sls",
        abstract:
            "Check the sls: entry: endpoint, TLS, credentials, one write and one query (exit 0 when the write succeeds)."
    )

    @Option(name: .customLong("config.file"), help: "Config file.")
    var configFile: String = "prometheus.yml"

    func run() async throws {
        let config: Config
        do { config = try ConfigLoader.load(file: configFile) } catch {
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
        guard let sls = config.sls, let remote = config.remoteWrite.first(where: { $0.url == sls.url }) else {
            print("FAILED: \(configFile) has no sls: section")
            throw ExitCode(1)
        }
        var logger = Logger(label: "check-sls")
        logger.logLevel = .critical
        print("Checking sls: project \"\(sls.project)\", metricstore \"\(sls.metricstore)\", endpoint \(sls.endpoint)")
        print("  URL: \(sls.url)")
        let host = "\(sls.project).\(sls.endpoint)"
        let hostName = String(host.split(separator: ":").first ?? "")

        // 1. Name resolution.
        if hostName.hasSuffix(".localhost") {
            print("  ok    resolve \(hostName): 127.0.0.1 (a .localhost name, RFC 6761)")
        } else if let addresses = Self.resolve(hostName), !addresses.isEmpty {
            print("  ok    resolve \(hostName): \(addresses.prefix(3).joined(separator: ", "))")
        } else {
            print("  FAIL  resolve \(hostName): the name does not resolve")
            if sls.intranet || sls.endpoint.contains("-intranet") {
                print(
                    "        cause: an -intranet endpoint resolves only inside Alibaba Cloud (a VPC in that region); from elsewhere set intranet: false"
                )
            } else {
                print(
                    "        cause: sls.endpoint is not a region endpoint (like cn-hangzhou.log.aliyuncs.com), or this host has no DNS"
                )
            }
            throw ExitCode(1)
        }

        // 2. TLS: any HTTP answer over the configured TLS means the handshake completed.
        var plain = remote.httpClient
        plain.basicAuth = nil
        let tlsClient: ConfiguredHTTPClient
        do {
            tlsClient = try ConfiguredHTTPClient(
                config: plain, dnsOverride: HTTPClientSupport.localhostOverride(sls.url))
        } catch {
            print("  FAIL  tls_config: \(error)")
            throw ExitCode(1)
        }
        do {
            _ = try await tlsClient.execute(HTTPClientRequest(url: "https://\(host)/"), timeout: .seconds(10))
            print("  ok    TLS handshake with \(host)")
        } catch {
            let why = HTTPClientSupport.describe(error)
            print("  FAIL  TLS handshake with \(host): \(why.prefix(300))")
            if why.contains("refused") || why.hasPrefix("connect") {
                print(
                    "        cause: nothing accepts connections at \(host): check the port of sls.endpoint (HTTPS, 443 by default)"
                )
            } else {
                print(
                    "        cause: a proxy or gateway with its own certificate (give its CA in sls.tls_config.ca_file), or the port is not HTTPS"
                )
            }
            await tlsClient.shutdown()
            throw ExitCode(1)
        }
        await tlsClient.shutdown()

        // 3. Credentials.
        var authorization: String
        if let c = remote.slsCredentials {
            do {
                authorization = try await SLSCredentialProvider(config: c, logger: logger).current().basicAuthorization
                print("  ok    credentials from \(c.provider.rawValue) (\(c.chosenBy))")
            } catch {
                print("  FAIL  credentials from \(c.provider.rawValue) (\(c.chosenBy)): \(error)")
                throw ExitCode(1)
            }
        } else if let b = remote.httpClient.basicAuth {
            authorization = "Basic " + Data("\(b.username):\(b.password.value)".utf8).base64EncodedString()
            print(
                "  ok    credentials: the AccessKey \(sls.credentials.provider == .environment ? "from ALIBABA_CLOUD_ACCESS_KEY_ID" : "in the config")"
            )
        } else {
            print("  FAIL  no credentials")
            throw ExitCode(1)
        }

        // 4. One write.
        var writeConfig = remote
        writeConfig.slsCredentials = nil
        writeConfig.httpClient.basicAuth = nil
        writeConfig.headers["Authorization"] = nil
        let client: WriteClient
        do { client = try WriteClient(config: writeConfig, logger: logger) } catch {
            print("  FAIL  \(error)")
            throw ExitCode(1)
        }
        let now = currentTimeMs()
        let sample = TimeSeriesSample(
            labels: Labels([
                "__name__": "promsls_check_sls",
                "instance": ProcessInfo.processInfo.hostName,
            ]), timestampMs: now, value: 1)
        var encoder = WriteRequestEncoder()
        let body = try Snappy.compress(encoder.encode(samples: [sample]))
        let result = await client.send(body, authorization: authorization)
        await client.shutdown()
        let wrote: Bool
        if case .success = result.outcome {
            print(
                "  ok    write: promsls_check_sls accepted (HTTP \(result.statusCode ?? 0), x-log-requestid \(result.requestID ?? "-"))"
            )
            wrote = true
        } else {
            print(
                "  FAIL  write: HTTP \(result.statusCode.map(String.init) ?? "-")\(result.sls.map { " \($0.code): \($0.message)" } ?? ""), x-log-requestid \(result.requestID ?? "-")"
            )
            print("        cause: \(Self.cause(result, sls))")
            wrote = false
        }

        // 5. One query.
        let query =
            sls.url.replacingOccurrences(of: "/api/v1/write", with: "/api/v1/query")
            + "?query=promsls_check_sls&time=\(now / 1000).\(String(now % 1000 + 1000).dropFirst())"
        do {
            let http = try ConfiguredHTTPClient(
                config: plain, dnsOverride: HTTPClientSupport.localhostOverride(sls.url))
            var request = HTTPClientRequest(url: query)
            request.headers.add(name: "Authorization", value: authorization)
            let response = try await http.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            await http.shutdown()
            if response.status.code == 200, text.contains("\"success\"") {
                let visible =
                    text.contains("promsls_check_sls")
                    ? "the sample is visible"
                    : wrote
                        ? "the sample is not visible yet: SLS indexes within seconds" : "no sample: the write failed"
                print("  ok    query: the Metricstore answers PromQL (\(visible))")
            } else {
                let html = text.lowercased().contains("<html")
                print(
                    "  FAIL  query: HTTP \(response.status.code): \(html ? "an HTML page" : String(text.prefix(300)))")
            }
        } catch {
            print("  FAIL  query: \(HTTPClientSupport.describe(error).prefix(300))")
        }
        if !wrote { throw ExitCode(1) }
        print("SUCCESS: promsls can write to this Metricstore")
    }

    /// The likely cause of a refused write, in the user's terms.
    static func cause(_ r: SendResult, _ sls: SLSConfig) -> String {
        if let e = r.sls {
            switch e.code {
            case "InvalidAccessKeyId":
                return
                    "SLS does not know this AccessKey ID (a typo, a deleted or disabled key, or another Alibaba Cloud account)"
            case "SignatureNotMatch":
                return "the AccessKey ID is known but the secret is wrong (check access_key_secret)"
            case "SecurityTokenExpired", "InvalidSecurityToken":
                return "the STS security token is wrong, missing or expired (temporary keys need their token)"
            case "Unauthorized" where e.message.lowercased().contains("token"):
                return "the STS security token is wrong, missing or expired (temporary keys need their token)"
            case "Unauthorized", "CredentialsUnavailable":
                let who =
                    sls.credentials.provider == .ecsRAMRole || sls.credentials.provider == .oidcRoleARN
                    ? "the RAM role's policy" : "the AccessKey's RAM user"
                return
                    "the credentials are refused: \(who) must allow log:PostLogStoreLogs on acs:log:*:*:project/\(sls.project)/logstore/\(sls.metricstore) (or the key is disabled or expired)"
            case "ProjectNotExist":
                return
                    "project \"\(sls.project)\" does not exist in the region of \(sls.endpoint): check sls.project and that sls.endpoint is the project's region"
            case "MetricStoreNotExist", "LogStoreNotExist":
                return
                    "metricstore \"\(sls.metricstore)\" does not exist in project \"\(sls.project)\": create it or fix sls.metricstore"
            case "RequestTimeTooSkewed", "RequestTimeExpired", "InvalidTimeRange", "InvalidTimestamp":
                return "this host's clock is off against SLS's: check NTP (\(r.outcome.reason))"
            case "WriteQuotaExceed", "ShardWriteQuotaExceed", "ServerBusy", "InternalServerError":
                return "SLS is throttling or busy right now; promsls retries these (try again later)"
            default: break
            }
        }
        if r.statusCode != nil, r.requestID == nil {
            return
                "the answer did not come from SLS (no x-log-requestid): a proxy, gateway or captive portal on the way"
        }
        if r.statusCode == nil { return "the request did not complete: \(r.outcome.reason)" }
        return r.outcome.reason
    }

    static func resolve(_ host: String) -> [String]? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var out: [String] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let a = p {
            var buf = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(a.pointee.ai_addr, a.pointee.ai_addrlen, &buf, socklen_t(buf.count), nil, 0, NI_NUMERICHOST)
                == 0
            {
                let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !out.contains(s) { out.append(s) }
            }
            p = a.pointee.ai_next
        }
        return out
    }
}
