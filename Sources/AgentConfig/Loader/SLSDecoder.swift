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
            "write_relabel_configs", "label_value_pipe_replacement",
        ]
        + credentialKeys.flatMap { [$0, $0 + "_file", $0 + "_env"] }

    static func decode(
        _ node: Node, path: String, _ context: LoadContext, seenNames: inout Set<String>
    ) throws(ConfigError) -> (SLSConfig, RemoteWriteConfig) {
        let fields = try Fields(node, path: path, context: context, known: keys)
        let project = try fields.requiredString("project")
        var endpoint = try fields.requiredString("endpoint")
        let metricstore = try fields.requiredString("metricstore")
        guard !endpoint.contains("/"), !endpoint.contains(":") else {
            throw fields.error(
                "endpoint",
                "\(quoted(endpoint)) must be a host name like cn-hangzhou.log.aliyuncs.com, without scheme, port or path"
            )
        }
        let intranet = try fields.bool("intranet") ?? false
        if intranet { endpoint = intranetEndpoint(endpoint) }
        guard let keyID = try credential(fields, "access_key_id") else {
            throw fields.missing("access_key_id", "missing access_key_id (or access_key_id_file, access_key_id_env)")
        }
        guard let keySecret = try credential(fields, "access_key_secret") else {
            throw fields.missing(
                "access_key_secret", "missing access_key_secret (or access_key_secret_file, access_key_secret_env)")
        }
        let token = try credential(fields, "sts_token")

        var sls = SLSConfig(
            project: project, endpoint: endpoint, metricstore: metricstore, accessKeyID: keyID,
            accessKeySecret: Secret(keySecret))
        sls.intranet = intranet
        sls.stsToken = token.map(Secret.init)
        sls.name = try fields.string("name") ?? "sls-\(project)-\(metricstore)"
        sls.url = "https://\(project).\(endpoint)/prometheus/\(project)/\(metricstore)/api/v1/write"

        var remote = RemoteWriteConfig(url: sls.url)
        remote.name = sls.name
        try RemoteWriteDecoder.checkUnique(name: remote.name, fields, seenNames: &seenNames)
        // The STS form is `secret` + "$" + `token`: concatenated, never interpolated.
        let password = token.map { keySecret + "$" + $0 } ?? keySecret
        remote.httpClient.basicAuth = BasicAuth(username: keyID, password: Secret(password))
        remote.httpClient.enableHTTP2 = false  // as remote_write (Prometheus DefaultRemoteWriteHTTPClientConfig)
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

    /// Exactly one of `key`, `key_file`, `key_env`; `nil` when none is set.
    private static func credential(_ fields: Fields, _ key: String) throws(ConfigError) -> String? {
        let variants = [key, key + "_file", key + "_env"].filter { fields.has($0) }
        guard variants.count <= 1 else {
            throw fields.error(variants[1], "at most one of \(variants.joined(separator: ", ")) must be configured")
        }
        if let value = try fields.string(key) {
            return value
        }
        if let file = try fields.string(key + "_file"), let node = fields.value(key + "_file") {
            let value = try fields.context.readSecretFile(file, node: node, keyPath: fields.keyPath(key + "_file"))
            guard !value.isEmpty else { throw fields.error(key + "_file", "file \(quoted(file)) is empty") }
            return value
        }
        if let variable = try fields.string(key + "_env") {
            guard let value = fields.context.environment[variable], !value.isEmpty else {
                throw fields.error(key + "_env", "environment variable \(variable) is not set or empty")
            }
            return value
        }
        return nil
    }
}
