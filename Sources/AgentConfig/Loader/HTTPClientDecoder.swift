import Yams

/// The HTTP client options shared by jobs, `http_sd_configs` and `remote_write`
/// (Prometheus common `config.HTTPClientConfig`).
enum HTTPClientDecoder {
    static let keys = [
        "basic_auth", "authorization", "tls_config", "bearer_token", "bearer_token_file", "follow_redirects",
        "enable_http2",
    ]
    static let unsupported: [String: String] = [
        "oauth2": "promsls does not support oauth2",
        "proxy_url": "promsls does not support proxy_url",
        "no_proxy": "promsls does not support no_proxy",
        "proxy_from_environment": "promsls does not support proxy_from_environment",
        "proxy_connect_header": "promsls does not support proxy_connect_header",
        "http_headers": "promsls does not support http_headers",
    ]

    static func decode(_ fields: Fields) throws(ConfigError) -> HTTPClientConfig {
        var client = HTTPClientConfig()
        if let basic = try fields.section(
            "basic_auth", known: ["username", "username_file", "password", "password_file"])
        {
            client.basicAuth = try basicAuth(basic)
        }
        if let auth = try fields.section("authorization", known: ["type", "credentials", "credentials_file"]) {
            client.authorization = try authorization(auth)
        }
        // Deprecated Prometheus 2 keys, mapped to `authorization` as Prometheus does.
        if fields.has("bearer_token") || fields.has("bearer_token_file") {
            guard client.authorization == nil else {
                throw fields.error(
                    "bearer_token", "authorization is not compatible with bearer_token & bearer_token_file")
            }
            guard !(fields.has("bearer_token") && fields.has("bearer_token_file")) else {
                throw fields.error(
                    "bearer_token_file", "at most one of bearer_token & bearer_token_file must be configured")
            }
            if let token = try fields.string("bearer_token") {
                client.authorization = Authorization(credentials: Secret(token))
            } else if let file = try fields.string("bearer_token_file"), let node = fields.value("bearer_token_file") {
                let token = try fields.context.readSecretFile(
                    file, node: node, keyPath: fields.keyPath("bearer_token_file"))
                client.authorization = Authorization(
                    credentials: Secret(token), credentialsFile: fields.context.resolve(path: file))
            }
        }
        if client.basicAuth != nil, client.authorization != nil {
            throw fields.error("authorization", "at most one of basic_auth & authorization must be configured")
        }
        if let tls = try fields.section("tls_config", known: TLSDecoder.keys, unsupported: TLSDecoder.unsupported) {
            client.tlsConfig = try TLSDecoder.decode(tls)
        }
        client.followRedirects = try fields.bool("follow_redirects") ?? true
        client.enableHTTP2 = try fields.bool("enable_http2") ?? true
        return client
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
            let password = try context.readSecretFile(file, node: node, keyPath: fields.keyPath("password_file"))
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
            let credentials = try fields.context.readSecretFile(
                file, node: node, keyPath: fields.keyPath("credentials_file"))
            return Authorization(
                type: type, credentials: Secret(credentials), credentialsFile: fields.context.resolve(path: file))
        }
        return Authorization(type: type, credentials: Secret(try fields.string("credentials") ?? ""))
    }
}

/// `tls_config:` (file-based certificates only).
enum TLSDecoder {
    static let keys = ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"]
    static let unsupported: [String: String] = [
        "ca": "promsls does not support inline ca; use ca_file",
        "cert": "promsls does not support inline cert; use cert_file",
        "key": "promsls does not support inline key; use key_file",
        "min_version": "promsls does not support min_version",
        "max_version": "promsls does not support max_version",
    ]

    static func decode(_ fields: Fields) throws(ConfigError) -> TLSConfig {
        var tls = TLSConfig()
        let context = fields.context
        tls.caFile = try fields.string("ca_file").map(context.resolve(path:))
        tls.certFile = try fields.string("cert_file").map(context.resolve(path:))
        tls.keyFile = try fields.string("key_file").map(context.resolve(path:))
        if tls.certFile != nil, tls.keyFile == nil {
            throw fields.missing("key_file", "key_file must be configured when cert_file is configured")
        }
        if tls.keyFile != nil, tls.certFile == nil {
            throw fields.missing("cert_file", "cert_file must be configured when key_file is configured")
        }
        tls.serverName = try fields.string("server_name")
        tls.insecureSkipVerify = try fields.bool("insecure_skip_verify") ?? false
        return tls
    }
}
