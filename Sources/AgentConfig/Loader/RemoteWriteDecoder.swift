import Yams

/// One `remote_write` entry (Prometheus `RemoteWriteConfig`).
enum RemoteWriteDecoder {
    static let keys =
        [
            "url", "name", "remote_timeout", "headers", "write_relabel_configs", "send_exemplars", "queue_config",
            "metadata_config", "protobuf_message",
        ] + HTTPClientDecoder.keys

    static let unsupported: [String: String] = {
        var table = HTTPClientDecoder.unsupported
        for key in ["sigv4", "azuread", "google_iam"] {
            table[key] = "promsls does not support \(key) authentication (the receiver would refuse every request)"
        }
        return table
    }()

    /// Accepted with a warning.
    static let meaningless: [String: String] = [
        "send_native_histograms":
            "promsls scrapes and sends classic histograms only (the only kind SLS Metricstore stores); this setting has no effect",
        "round_robin_dns": "promsls connects to the address the resolver returns first; round_robin_dns has no effect",
    ]

    /// Headers the remote-write client sets itself (Prometheus `reservedHeaders`).
    static let reservedHeaders: Set<String> = [
        "authorization", "host", "content-encoding", "content-length", "content-type", "user-agent", "connection",
        "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate", "retry-after",
        "x-prometheus-remote-write-version", "x-prometheus-remote-read-version",
    ]

    static func decode(
        _ node: Node, path: String, _ context: LoadContext, seenNames: inout Set<String>
    ) throws(ConfigError) -> RemoteWriteConfig {
        guard !node.isNull else { throw context.error(node, path, "empty or null remote write config section") }
        let fields = try Fields(
            node, path: path, context: context, known: keys, unsupported: unsupported, meaningless: meaningless)
        guard let url = try fields.string("url"), !url.isEmpty else {
            throw fields.missing("url", "url for remote_write is empty")
        }
        var remote = RemoteWriteConfig(url: url)
        remote.name = try fields.string("name") ?? ""
        try checkUnique(name: remote.name, fields, seenNames: &seenNames)
        try decodeCommon(fields, into: &remote)
        if let headers = try fields.stringMap("headers") {
            for header in headers {
                guard header.key.lowercased() != "authorization" else {
                    throw context.error(
                        header.node, child(fields.keyPath("headers"), header.key),
                        "authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter"
                    )
                }
                guard !reservedHeaders.contains(header.key.lowercased()) else {
                    throw context.error(
                        header.node, child(fields.keyPath("headers"), header.key),
                        "\(header.key) is a reserved header. It must not be changed")
                }
                remote.headers[header.key] = header.value
            }
        }
        remote.httpClient = try HTTPClientDecoder.decode(fields)
        // Prometheus's `DefaultRemoteWriteHTTPClientConfig`: HTTP/2 off unless asked for.
        remote.httpClient.enableHTTP2 = try fields.bool("enable_http2") ?? false
        if let metadata = try fields.section(
            "metadata_config", known: ["send", "send_interval", "max_samples_per_send"])
        {
            remote.metadataConfig = try decodeMetadata(metadata)
        }
        remote.sendExemplars = try fields.bool("send_exemplars") ?? false
        if let message = try fields.string("protobuf_message"), message != "prometheus.WriteRequest" {
            guard message == "io.prometheus.write.v2.Request" else {
                throw fields.error(
                    "protobuf_message",
                    "invalid protobuf_message value: unknown type for remote write protobuf message \(message), supported: prometheus.WriteRequest, io.prometheus.write.v2.Request"
                )
            }
            try context.unsupported(
                key: fields.keyNode("protobuf_message")!, fields.keyPath("protobuf_message"),
                "promsls sends remote write 1.0 (prometheus.WriteRequest) only")
        }
        // The scheme is checked by `checkURLs` after every entry, so that Prometheus's own
        // errors come first (it parses `localhost:9090` as a URL; promsls needs http(s)).
        return remote
    }

    /// Refuses `remote_write` URLs that are not `http(s)://host…` (after all other checks).
    static func checkURLs(_ items: [(node: Node, path: String)], _ context: LoadContext) throws(ConfigError) {
        for item in items {
            guard case .mapping(let mapping) = item.node else { continue }
            for (key, value) in mapping where key.scalar?.string == "url" {
                let fields = try Fields(
                    .mapping(Node.Mapping([(key, value)])), path: item.path, context: context, known: ["url"])
                try URLCheck.httpURL(try fields.requiredString("url"), fields, "url")
            }
        }
    }

    /// Keys shared with the `sls:` shortcut: remote_timeout, queue_config, write_relabel_configs.
    static func decodeCommon(
        _ fields: Fields, into remote: inout RemoteWriteConfig, queueDefaults: QueueConfig = QueueConfig()
    ) throws(ConfigError) {
        if let timeout = try fields.duration("remote_timeout") {
            guard timeout > .zero else { throw fields.error("remote_timeout", "must be greater than 0") }
            remote.remoteTimeout = timeout
        }
        if let queue = try fields.section("queue_config", known: queueKeys) {
            remote.queueConfig = try decodeQueue(queue, defaults: queueDefaults)
        }
        remote.writeRelabelConfigs = try RelabelDecoder.decodeList(fields, "write_relabel_configs")
    }

    static func checkUnique(name: String, _ fields: Fields, seenNames: inout Set<String>) throws(ConfigError) {
        guard !name.isEmpty else { return }
        guard seenNames.insert(name).inserted else {
            throw fields.error("name", "found multiple remote write configs with job name \(quoted(name))")
        }
    }

    static let queueKeys = [
        "capacity", "max_shards", "min_shards", "max_samples_per_send", "batch_send_deadline", "min_backoff",
        "max_backoff", "retry_on_http_429", "sample_age_limit", "max_bytes_per_send",
    ]

    static func decodeQueue(_ fields: Fields, defaults: QueueConfig = QueueConfig()) throws(ConfigError) -> QueueConfig
    {
        var queue = defaults
        func positive(_ key: String) throws(ConfigError) -> Int? {
            guard let value = try fields.int(key, min: .min) else { return nil }
            guard value > 0 else { throw fields.error(key, "remote write queue \(key) must be positive") }
            return value
        }
        queue.capacity = try positive("capacity") ?? queue.capacity
        queue.maxShards = try positive("max_shards") ?? queue.maxShards
        queue.minShards = try positive("min_shards") ?? queue.minShards
        queue.maxSamplesPerSend = try positive("max_samples_per_send") ?? queue.maxSamplesPerSend
        queue.batchSendDeadline = try fields.duration("batch_send_deadline") ?? queue.batchSendDeadline
        queue.minBackoff = try fields.duration("min_backoff") ?? queue.minBackoff
        queue.maxBackoff = try fields.duration("max_backoff") ?? queue.maxBackoff
        queue.retryOnHTTP429 = try fields.bool("retry_on_http_429") ?? queue.retryOnHTTP429
        queue.sampleAgeLimit = try fields.duration("sample_age_limit") ?? queue.sampleAgeLimit
        if let text = try fields.string("max_bytes_per_send") {
            guard let bytes = Int(text.replacingUnderscores) ?? parseBase2Bytes(text), bytes > 0 else {
                throw fields.error(
                    "max_bytes_per_send", "\(quoted(text)) is not a valid size (use e.g. 8MiB or 4194304)")
            }
            queue.maxBytesPerSend = bytes
        }
        if queue.batchSendDeadline <= .zero {
            throw fields.error("batch_send_deadline", "must be greater than 0")
        }
        if queue.minBackoff > queue.maxBackoff {
            throw fields.error(
                "min_backoff",
                "remote write queue max_backoff must not be less than min_backoff (min_backoff \(formatPrometheusDuration(queue.minBackoff)), max_backoff \(formatPrometheusDuration(queue.maxBackoff)))"
            )
        }
        if queue.minShards > queue.maxShards {
            // SLS documents `min_shards: 100` without max_shards (default 50), which Prometheus
            // accepts; then max_shards rises to min_shards. When both are set they must agree.
            guard !fields.has("max_shards") else {
                throw fields.error(
                    "min_shards",
                    "remote write queue min_shards must not be greater than max_shards (\(queue.minShards) > \(queue.maxShards))"
                )
            }
            queue.maxShards = queue.minShards
        }
        return queue
    }

    static func decodeMetadata(_ fields: Fields) throws(ConfigError) -> MetadataConfig {
        var metadata = MetadataConfig()
        metadata.send = try fields.bool("send") ?? metadata.send
        if let interval = try fields.duration("send_interval") {
            guard interval > .zero else { throw fields.error("send_interval", "must be greater than 0") }
            metadata.sendInterval = interval
        }
        metadata.maxSamplesPerSend = try fields.int("max_samples_per_send", min: 1) ?? metadata.maxSamplesPerSend
        return metadata
    }
}
