import Yams

/// The `sls:` shortcut: one Alibaba Cloud SLS Metricstore as an ordinary `remote_write` entry
/// with HTTPS and basic auth (AccessKey ID / secret), to
/// `https://{project}.{endpoint}/prometheus/{project}/{metricstore}/api/v1/write`.
///
/// Credentials come inline, from a file (`<key>_file`, trimmed) or from an environment
/// variable (`<key>_env`, naming the variable). With an STS token the password is
/// `{secret}${token}` — a literal `$`, never expanded.
enum SLSDecoder {
    static let credentialKeys = ["access_key_id", "access_key_secret", "sts_token"]
    static let keys: [String] =
        [
            "project", "endpoint", "metricstore", "intranet", "name", "remote_timeout", "queue_config",
            "write_relabel_configs", "label_value_pipe_replacement", "credentials", "tls_config",
        ]
        + credentialKeys.flatMap { [$0, $0 + "_file", $0 + "_env"] }

    static func decode(
        _ node: Node, path: String, _ context: LoadContext, seenNames: inout Set<String>
    ) throws(ConfigError) -> (SLSConfig, RemoteWriteConfig) {
        let fields = try Fields(node, path: path, context: context, known: keys)
        let project = try fields.requiredString("project")
        var endpoint = try fields.requiredString("endpoint")
        let metricstore = try fields.requiredString("metricstore")
        guard !endpoint.contains("/"), Self.hostAndPort(endpoint) else {
            throw fields.error(
                "endpoint",
                "\(quoted(endpoint)) must be a host name like cn-hangzhou.log.aliyuncs.com (a port may follow: host:port), without scheme or path"
            )
        }
        let intranet = try fields.bool("intranet") ?? false
        if intranet { endpoint = intranetEndpoint(endpoint) }
        let credentials = try decodeCredentials(fields)

        var sls = SLSConfig(
            project: project, endpoint: endpoint, metricstore: metricstore,
            accessKeyID: credentials.accessKeyID.flatMap { if case .value(let v) = $0 { v.value } else { nil } } ?? "",
            accessKeySecret: credentials.accessKeySecret.flatMap { if case .value(let v) = $0 { v } else { nil } }
                ?? Secret(""))
        sls.intranet = intranet
        sls.stsToken = credentials.securityToken.flatMap { if case .value(let v) = $0 { v } else { nil } }
        sls.credentials = credentials
        sls.name = try fields.string("name") ?? "sls-\(project)-\(metricstore)"
        sls.url = "https://\(project).\(endpoint)/prometheus/\(project)/\(metricstore)/api/v1/write"

        var remote = RemoteWriteConfig(url: sls.url)
        remote.name = sls.name
        try RemoteWriteDecoder.checkUnique(name: remote.name, fields, seenNames: &seenNames)
        if credentials.isFixed {
            // The STS form is `secret` + "$" + `token`: concatenated, never interpolated.
            let password = sls.stsToken.map { sls.accessKeySecret.value + "$" + $0.value } ?? sls.accessKeySecret.value
            remote.httpClient.basicAuth = BasicAuth(username: sls.accessKeyID, password: Secret(password))
        } else {
            remote.slsCredentials = credentials
        }
        remote.httpClient.enableHTTP2 = false  // as remote_write (Prometheus DefaultRemoteWriteHTTPClientConfig)
        if let tls = try fields.section("tls_config", known: TLSDecoder.keys, unsupported: TLSDecoder.unsupported) {
            remote.httpClient.tlsConfig = try TLSDecoder.decode(tls)
        }
        // SLS's remote-write page: min_backoff at least 100ms and max_backoff at least 5s "to
        // minimize invalid network requests" — the defaults of an `sls:` queue.
        remote.queueConfig.minBackoff = slsMinBackoff
        remote.queueConfig.maxBackoff = max(remote.queueConfig.maxBackoff, slsMaxBackoff)
        try RemoteWriteDecoder.decodeCommon(fields, into: &remote, queueDefaults: remote.queueConfig)
        if let queue = fields.value("queue_config") {
            let q = remote.queueConfig
            if q.minBackoff < slsMinBackoff || q.maxBackoff < slsMaxBackoff {
                fields.context.warn(
                    queue, fields.keyPath("queue_config"),
                    "min_backoff \(formatPrometheusDuration(q.minBackoff)), max_backoff \(formatPrometheusDuration(q.maxBackoff)): SLS asks for at least 100ms and 5s to keep failing requests from flooding the Metricstore"
                )
            }
        }
        if let replacement = try fields.string("label_value_pipe_replacement") {
            if replacement == "keep" {
                sls.pipeReplacement = nil
            } else {
                guard !replacement.contains("|") else {
                    throw fields.error(
                        "label_value_pipe_replacement", "\(quoted(replacement)) must not contain |, or be keep")
                }
                sls.pipeReplacement = replacement
            }
        }
        remote.slsDataModel = SLSDataModel(pipeReplacement: sls.pipeReplacement)
        return (sls, remote)
    }

    static let slsMinBackoff: Duration = .milliseconds(100)
    static let slsMaxBackoff: Duration = .seconds(5)

    /// `cn-hangzhou.log.aliyuncs.com` → `cn-hangzhou-intranet.log.aliyuncs.com`.
    static func intranetEndpoint(_ endpoint: String) -> String {
        guard let dot = endpoint.firstIndex(of: "."), !endpoint[..<dot].hasSuffix("-intranet") else { return endpoint }
        return endpoint[..<dot] + "-intranet" + endpoint[dot...]
    }

    /// `host` or `host:port` with a numeric port.
    static func hostAndPort(_ endpoint: String) -> Bool {
        let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty else { return false }
        if parts.count == 1 { return true }
        return parts.count == 2 && UInt16(parts[1]) != nil
    }

    static let credentialSectionKeys = [
        "provider", "role_name", "metadata_endpoint", "disable_imdsv1", "credentials_uri", "role_arn",
        "oidc_provider_arn", "oidc_token_file", "role_session_name", "sts_endpoint", "duration",
    ]

    /// `sls.credentials` and the AccessKey keys: the provider chosen, or the first configured of
    /// the chain (`SLSCredentialsConfig`).
    static func decodeCredentials(_ fields: Fields) throws(ConfigError) -> SLSCredentialsConfig {
        let env = fields.context.environment
        func envValue(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let section = try fields.section("credentials", known: credentialSectionKeys)
        let hasKeys = credentialKeys.contains { k in [k, k + "_file", k + "_env"].contains { fields.has($0) } }
        var provider: SLSCredentialsConfig.Provider
        var chosenBy: String
        if let section, let name = try section.string("provider") {
            guard let p = SLSCredentialsConfig.Provider(rawValue: name) else {
                throw section.error(
                    "provider",
                    "unknown credentials provider \(quoted(name)) (one of \(SLSCredentialsConfig.Provider.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            (provider, chosenBy) = (p, "sls.credentials.provider")
        } else if hasKeys {
            (provider, chosenBy) = (.staticKeys, "access keys in the config")
        } else if envValue("ALIBABA_CLOUD_ACCESS_KEY_ID") != nil, envValue("ALIBABA_CLOUD_ACCESS_KEY_SECRET") != nil {
            (provider, chosenBy) = (.environment, "ALIBABA_CLOUD_ACCESS_KEY_ID")
        } else if envValue("ALIBABA_CLOUD_ROLE_ARN") != nil, envValue("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") != nil,
            envValue("ALIBABA_CLOUD_OIDC_TOKEN_FILE") != nil
        {
            (provider, chosenBy) = (.oidcRoleARN, "ALIBABA_CLOUD_ROLE_ARN")
        } else if envValue("ALIBABA_CLOUD_CREDENTIALS_URI") != nil {
            (provider, chosenBy) = (.credentialsURI, "ALIBABA_CLOUD_CREDENTIALS_URI")
        } else if envValue("ALIBABA_CLOUD_ECS_METADATA") != nil {
            (provider, chosenBy) = (.ecsRAMRole, "ALIBABA_CLOUD_ECS_METADATA")
        } else {
            throw fields.missing(
                "access_key_id",
                "missing access_key_id (or access_key_id_file, access_key_id_env), or another credential source: ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET, RRSA (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE), ALIBABA_CLOUD_CREDENTIALS_URI, or sls.credentials.provider: ecs_ram_role"
            )
        }
        var c = SLSCredentialsConfig(provider: provider)
        c.chosenBy = chosenBy
        switch provider {
        case .staticKeys:
            guard let id = try credential(fields, "access_key_id") else {
                throw fields.missing(
                    "access_key_id", "missing access_key_id (or access_key_id_file, access_key_id_env)")
            }
            guard let secret = try credential(fields, "access_key_secret") else {
                throw fields.missing(
                    "access_key_secret", "missing access_key_secret (or access_key_secret_file, access_key_secret_env)")
            }
            (c.accessKeyID, c.accessKeySecret, c.securityToken) = (id, secret, try credential(fields, "sts_token"))
        case .environment:
            guard let id = envValue("ALIBABA_CLOUD_ACCESS_KEY_ID"),
                let secret = envValue("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            else {
                throw (section ?? fields).error(
                    section == nil ? "access_key_id" : "provider",
                    "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not both set")
            }
            c.accessKeyID = .value(Secret(id))
            c.accessKeySecret = .value(Secret(secret))
            c.securityToken = envValue("ALIBABA_CLOUD_SECURITY_TOKEN").map { .value(Secret($0)) }
        case .credentialsURI:
            guard let uri = try section?.string("credentials_uri") ?? envValue("ALIBABA_CLOUD_CREDENTIALS_URI") else {
                throw (section ?? fields).error(
                    "provider",
                    "credentials_uri provider without sls.credentials.credentials_uri or ALIBABA_CLOUD_CREDENTIALS_URI")
            }
            guard uri.hasPrefix("http://") || uri.hasPrefix("https://") else {
                throw (section ?? fields).error("credentials_uri", "\(quoted(uri)) must be an http:// or https:// URL")
            }
            c.credentialsURI = uri
        case .ecsRAMRole:
            c.roleName = try section?.string("role_name") ?? envValue("ALIBABA_CLOUD_ECS_METADATA")
            c.metadataEndpoint = try section?.string("metadata_endpoint") ?? c.metadataEndpoint
            c.disableIMDSv1 =
                try section?.bool("disable_imdsv1") ?? (envValue("ALIBABA_CLOUD_IMDSV1_DISABLED") == "true")
        case .oidcRoleARN:
            c.roleARN = try section?.string("role_arn") ?? envValue("ALIBABA_CLOUD_ROLE_ARN")
            c.oidcProviderARN = try section?.string("oidc_provider_arn") ?? envValue("ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
            c.oidcTokenFile =
                try section?.string("oidc_token_file").map { fields.context.resolve(path: $0) }
                ?? envValue("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
            c.roleSessionName =
                try section?.string("role_session_name") ?? envValue("ALIBABA_CLOUD_ROLE_SESSION_NAME")
                ?? c.roleSessionName
            c.stsEndpoint = try section?.string("sts_endpoint") ?? c.stsEndpoint
            if let d = try section?.duration("duration") {
                guard d >= .seconds(900) else {
                    throw section!.error("duration", "must be at least 15m (STS's minimum)")
                }
                c.duration = d
            }
            for (key, value) in [
                ("role_arn", c.roleARN), ("oidc_provider_arn", c.oidcProviderARN), ("oidc_token_file", c.oidcTokenFile),
            ]
            where value == nil {
                throw (section ?? fields).error(
                    section == nil ? "credentials" : "provider",
                    "oidc_role_arn needs \(key) (sls.credentials.\(key) or ALIBABA_CLOUD_\(key.uppercased()))")
            }
        }
        for (key, url) in [("metadata_endpoint", c.metadataEndpoint), ("sts_endpoint", c.stsEndpoint)]
        where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw (section ?? fields).error(key, "\(quoted(url)) must be an http:// or https:// URL")
        }
        return c
    }

    /// Exactly one of `key`, `key_file`, `key_env`; `nil` when none is set. A `key_file` is read
    /// when used (a missing one is a send error then, with a warning now).
    private static func credential(_ fields: Fields, _ key: String) throws(ConfigError) -> SecretSource? {
        let variants = [key, key + "_file", key + "_env"].filter { fields.has($0) }
        guard variants.count <= 1 else {
            throw fields.error(variants[1], "at most one of \(variants.joined(separator: ", ")) must be configured")
        }
        if let value = try fields.string(key) {
            return .value(Secret(value))
        }
        if let file = try fields.string(key + "_file"), let node = fields.value(key + "_file") {
            let resolved = fields.context.resolve(path: file)
            if (try? fields.context.readSecretFile(file, node: node, keyPath: fields.keyPath(key + "_file")))?.isEmpty
                ?? true
            {
                fields.context.warn(
                    node, fields.keyPath(key + "_file"),
                    "\(quoted(resolved)) is missing, unreadable or empty now; it is read when used, and sending fails until it is there"
                )
            }
            return .file(resolved)
        }
        if let variable = try fields.string(key + "_env") {
            guard let value = fields.context.environment[variable], !value.isEmpty else {
                throw fields.error(key + "_env", "environment variable \(variable) is not set or empty")
            }
            return .value(Secret(value))
        }
        return nil
    }
}
