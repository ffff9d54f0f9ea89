import Yams

/// The HTTP client options shared by jobs, `http_sd_configs` and `remote_write`
/// (Prometheus common `config.HTTPClientConfig`).
enum HTTPClientDecoder {
    static let keys =
        [
            "basic_auth", "authorization", "oauth2", "tls_config", "bearer_token", "bearer_token_file",
            "follow_redirects",
            "enable_http2", "http_headers",
        ] + ProxyDecoder.keys
    static let unsupported: [String: String] = [:]

    /// Headers an `http_headers` entry may not set (Prometheus common `reservedHeaders`).
    static let reservedHeaders: Set<String> = [
        "authorization", "host", "content-encoding", "content-length", "content-type", "user-agent", "connection",
        "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate", "accept-encoding",
        "x-prometheus-remote-write-version", "x-prometheus-remote-read-version", "x-prometheus-scrape-timeout-seconds",
        "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "upgrade",
    ]

    static let secretRef =
        "promsls does not read secrets from a secret manager (the *_ref keys); use the inline or _file key"

    static func decode(_ fields: Fields) throws(ConfigError) -> HTTPClientConfig {
        var client = HTTPClientConfig()
        if let basic = try fields.section(
            "basic_auth", known: ["username", "username_file", "password", "password_file"],
            unsupported: ["username_ref": secretRef, "password_ref": secretRef])
        {
            client.basicAuth = try basicAuth(basic)
        }
        if let auth = try fields.section(
            "authorization", known: ["type", "credentials", "credentials_file"],
            unsupported: ["credentials_ref": secretRef])
        {
            client.authorization = try authorization(auth)
        }
        if let oauth = try fields.section("oauth2", known: OAuth2Decoder.keys, unsupported: OAuth2Decoder.unsupported) {
            client.oauth2 = try OAuth2Decoder.decode(oauth)
        }
        let hasBearer = fields.has("bearer_token") || fields.has("bearer_token_file")
        if hasBearer, fields.has("bearer_token"), fields.has("bearer_token_file") {
            throw fields.error(
                "bearer_token_file", "at most one of bearer_token & bearer_token_file must be configured")
        }
        if hasBearer, client.basicAuth != nil || client.oauth2 != nil {
            throw fields.error(
                "bearer_token", "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
            )
        }
        // Deprecated Prometheus 2 keys, mapped to `authorization` as Prometheus does.
        if hasBearer {
            guard client.authorization == nil else {
                throw fields.error(
                    "bearer_token", "authorization is not compatible with bearer_token & bearer_token_file")
            }
            if let token = try fields.string("bearer_token") {
                client.authorization = Authorization(credentials: Secret(token))
            } else if let file = try fields.string("bearer_token_file"), let node = fields.value("bearer_token_file") {
                let token = fields.context.readSecretFileWhenUsed(
                    file, node: node, keyPath: fields.keyPath("bearer_token_file"))
                client.authorization = Authorization(
                    credentials: Secret(token), credentialsFile: fields.context.resolve(path: file))
            }
        }
        let schemes = [client.basicAuth != nil, client.authorization != nil, client.oauth2 != nil].filter { $0 }
        if schemes.count > 1 {
            throw fields.error("authorization", "at most one of basic_auth, oauth2 & authorization must be configured")
        }
        if let tls = try fields.section("tls_config", known: TLSDecoder.keys, unsupported: TLSDecoder.unsupported) {
            client.tlsConfig = try TLSDecoder.decode(tls)
        }
        client.proxy = try ProxyDecoder.decode(fields)
        client.httpHeaders = try httpHeaders(fields)
        client.followRedirects = try fields.bool("follow_redirects") ?? true
        client.enableHTTP2 = try fields.bool("enable_http2") ?? true
        return client
    }

    /// `http_headers: {Name: {values: [...], secrets: [...], files: [...]}}`.
    static func httpHeaders(_ fields: Fields) throws(ConfigError) -> [String: HTTPHeaderValues] {
        guard let node = fields.value("http_headers") else { return [:] }
        guard case .mapping(let mapping) = node else {
            throw fields.error("http_headers", "expected a mapping of header names, got \(node.kindName)")
        }
        var out: [String: HTTPHeaderValues] = [:]
        for (key, value) in mapping {
            let name = try fields.context.scalar(key, fields.keyPath("http_headers"))
            let path = child(fields.keyPath("http_headers"), name)
            guard !reservedHeaders.contains(name.lowercased()) else {
                throw fields.context.error(key, path, "setting header \(quoted(name)) is not allowed")
            }
            let header = try Fields(value, path: path, context: fields.context, known: ["values", "secrets", "files"])
            var entry = HTTPHeaderValues()
            entry.values = try header.stringList("values") ?? []
            entry.secrets = (try header.stringList("secrets") ?? []).map(Secret.init)
            entry.files = (try header.stringList("files") ?? []).map(fields.context.resolve(path:))
            out[name] = entry
        }
        return out
    }

    static func basicAuth(_ fields: Fields) throws(ConfigError) -> BasicAuth {
        let context = fields.context
        guard !(fields.has("username") && fields.has("username_file")) else {
            throw fields.error("username_file", "at most one of basic_auth username & username_file must be configured")
        }
        guard !(fields.has("password") && fields.has("password_file")) else {
            throw fields.error("password_file", "at most one of basic_auth password & password_file must be configured")
        }
        var username = try fields.string("username") ?? ""
        if let file = try fields.string("username_file"), let node = fields.value("username_file") {
            username = try context.readSecretFile(file, node: node, keyPath: fields.keyPath("username_file"))
        }
        if let file = try fields.string("password_file"), let node = fields.value("password_file") {
            let password = context.readSecretFileWhenUsed(file, node: node, keyPath: fields.keyPath("password_file"))
            return BasicAuth(username: username, password: Secret(password), passwordFile: context.resolve(path: file))
        }
        return BasicAuth(username: username, password: Secret(try fields.string("password") ?? ""))
    }

    static func authorization(_ fields: Fields) throws(ConfigError) -> Authorization {
        let type = try fields.string("type") ?? "Bearer"
        guard type.lowercased() != "basic" else {
            throw fields.error("type", "authorization type cannot be set to \"basic\", use \"basic_auth\" instead")
        }
        guard !(fields.has("credentials") && fields.has("credentials_file")) else {
            throw fields.error(
                "credentials_file", "at most one of authorization credentials & credentials_file must be configured")
        }
        if let file = try fields.string("credentials_file"), let node = fields.value("credentials_file") {
            let credentials = fields.context.readSecretFileWhenUsed(
                file, node: node, keyPath: fields.keyPath("credentials_file"))
            return Authorization(
                type: type, credentials: Secret(credentials), credentialsFile: fields.context.resolve(path: file))
        }
        return Authorization(type: type, credentials: Secret(try fields.string("credentials") ?? ""))
    }
}

/// `tls_config:` (Prometheus common `TLSConfig`).
enum TLSDecoder {
    static let keys = [
        "ca", "ca_file", "cert", "cert_file", "key", "key_file", "server_name", "insecure_skip_verify", "min_version",
        "max_version",
    ]
    static let unsupported: [String: String] = [
        "ca_ref": HTTPClientDecoder.secretRef, "cert_ref": HTTPClientDecoder.secretRef,
        "key_ref": HTTPClientDecoder.secretRef,
    ]
    static let versions = ["TLS10", "TLS11", "TLS12", "TLS13"]

    static func decode(_ fields: Fields) throws(ConfigError) -> TLSConfig {
        var tls = TLSConfig()
        let context = fields.context
        for (inline, file) in [("ca", "ca_file"), ("cert", "cert_file"), ("key", "key_file")]
        where fields.has(inline) && fields.has(file) {
            throw fields.error(file, "at most one of \(inline) and \(file) must be configured")
        }
        tls.caFile = try fields.string("ca_file").map(context.resolve(path:))
        tls.certFile = try fields.string("cert_file").map(context.resolve(path:))
        tls.keyFile = try fields.string("key_file").map(context.resolve(path:))
        tls.ca = try fields.string("ca")
        tls.cert = try fields.string("cert")
        tls.key = try fields.string("key").map(Secret.init)
        let hasCert = tls.certFile != nil || tls.cert != nil
        let hasKey = tls.keyFile != nil || tls.key != nil
        if hasCert, !hasKey {
            throw fields.missing(
                "key_file", "exactly one of key or key_file must be configured when a client certificate is configured")
        }
        if hasKey, !hasCert {
            throw fields.missing(
                "cert_file", "exactly one of cert or cert_file must be configured when a client key is configured")
        }
        tls.serverName = try fields.string("server_name")
        tls.insecureSkipVerify = try fields.bool("insecure_skip_verify") ?? false
        for key in ["min_version", "max_version"] {
            guard let version = try fields.string(key) else { continue }
            guard versions.contains(version) else {
                throw fields.error(key, "unknown TLS version: \(version) (use TLS10, TLS11, TLS12 or TLS13)")
            }
            if key == "min_version" { tls.minVersion = version } else { tls.maxVersion = version }
        }
        if let min = tls.minVersion, let max = tls.maxVersion, min > max {
            throw fields.error("max_version", "max_version \(max) is lower than min_version \(min)")
        }
        return tls
    }
}

/// `oauth2:` (client credentials grant).
enum OAuth2Decoder {
    static let keys =
        ["client_id", "client_secret", "client_secret_file", "scopes", "token_url", "endpoint_params", "tls_config"]
        + ProxyDecoder.keys
    static let unsupported: [String: String] = {
        var table = ["client_secret_ref": HTTPClientDecoder.secretRef]
        for key in [
            "grant_type", "client_certificate_key_id", "client_certificate_key", "client_certificate_key_file",
            "client_certificate_key_ref", "signature_algorithm", "iss", "audience", "claims",
        ] {
            table[key] = "promsls supports only the oauth2 client credentials grant (client_id and client_secret)"
        }
        return table
    }()

    static func decode(_ fields: Fields) throws(ConfigError) -> OAuth2Config {
        guard let clientID = try fields.string("client_id"), !clientID.isEmpty else {
            throw fields.missing("client_id", "oauth2 client_id must be configured")
        }
        guard let tokenURL = try fields.string("token_url"), !tokenURL.isEmpty else {
            throw fields.missing("token_url", "oauth2 token_url must be configured")
        }
        try URLCheck.httpURL(tokenURL, fields, "token_url")
        if fields.has("client_secret"), fields.has("client_secret_file") {
            throw fields.error(
                "client_secret_file", "at most one of oauth2 client_secret & client_secret_file must be configured")
        }
        var config = OAuth2Config(
            clientID: clientID, clientSecret: Secret(try fields.string("client_secret") ?? ""), tokenURL: tokenURL)
        if let file = try fields.string("client_secret_file"), let node = fields.value("client_secret_file") {
            // Read now so that a missing file fails the load; read again before every token request.
            config.clientSecret = Secret(
                try fields.context.readSecretFile(file, node: node, keyPath: fields.keyPath("client_secret_file")))
            config.clientSecretFile = fields.context.resolve(path: file)
        }
        config.scopes = try fields.stringList("scopes") ?? []
        for pair in try fields.stringMap("endpoint_params") ?? [] { config.endpointParams[pair.key] = pair.value }
        if let tls = try fields.section("tls_config", known: TLSDecoder.keys, unsupported: TLSDecoder.unsupported) {
            config.tlsConfig = try TLSDecoder.decode(tls)
        }
        config.proxy = try ProxyDecoder.decode(fields)
        return config
    }
}

/// `proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`.
enum ProxyDecoder {
    static let keys = ["proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"]

    static func decode(_ fields: Fields) throws(ConfigError) -> ProxyConfig {
        var proxy = ProxyConfig()
        if let url = try fields.string("proxy_url"), !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("socks5://") else {
                throw fields.error(
                    "proxy_url", "\(quoted(url)): promsls supports http:// and socks5:// proxies (not https://)")
            }
            guard ProxyURL(url) != nil else {
                throw fields.error("proxy_url", "\(quoted(url)) is not a valid proxy URL")
            }
            proxy.proxyURL = url
        }
        proxy.noProxy = try fields.string("no_proxy").flatMap { $0.isEmpty ? nil : $0 }
        proxy.proxyFromEnvironment = try fields.bool("proxy_from_environment") ?? false
        if proxy.proxyFromEnvironment, proxy.proxyURL != nil {
            throw fields.error("proxy_url", "if proxy_from_environment is configured, proxy_url must not be configured")
        }
        if proxy.proxyFromEnvironment, proxy.noProxy != nil {
            throw fields.error("no_proxy", "if proxy_from_environment is configured, no_proxy must not be configured")
        }
        if proxy.proxyURL == nil, proxy.noProxy != nil {
            throw fields.error("no_proxy", "if proxy_url is not configured, no_proxy must not be configured")
        }
        if let node = fields.value("proxy_connect_header") {
            guard proxy.isEnabled else {
                throw fields.error(
                    "proxy_connect_header",
                    "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured"
                )
            }
            guard case .mapping(let mapping) = node else {
                throw fields.error("proxy_connect_header", "expected a mapping of header names, got \(node.kindName)")
            }
            for (key, value) in mapping {
                let name = try fields.context.scalar(key, fields.keyPath("proxy_connect_header"))
                let path = child(fields.keyPath("proxy_connect_header"), name)
                guard name.lowercased() == "proxy-authorization" else {
                    try fields.context.unsupported(
                        key: key, path,
                        "promsls can send only Proxy-Authorization in proxy_connect_header (the proxy would refuse the tunnel)"
                    )
                    continue
                }
                var values: [Secret] = []
                if case .sequence(let items) = value {
                    for item in items { values.append(Secret(try fields.context.scalar(item, path))) }
                } else {
                    values.append(Secret(try fields.context.scalar(value, path)))
                }
                proxy.proxyConnectHeaders[name] = values
            }
        }
        return proxy
    }
}
