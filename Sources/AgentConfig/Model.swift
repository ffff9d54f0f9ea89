import PromModel

// The runtime model of a promsls configuration, after decoding, defaulting and validation.
// Field names and defaults follow Prometheus's `config/config.go`:
// https://prometheus.io/docs/prometheus/latest/configuration/configuration/
// Durations are `Duration` values; YAML spells them in Prometheus syntax (`1m30s`, `250ms`).

/// A whole configuration file.
public struct Config: Sendable, Equatable {
    public var global: GlobalConfig
    public var scrapeConfigs: [ScrapeConfig]
    public var remoteWrite: [RemoteWriteConfig]
    /// The `sls:` shortcut as written, if any (already expanded into `remoteWrite`).
    public var sls: SLSConfig?
    /// Path the config was loaded from ("" when loaded from a string).
    public var sourcePath: String
    /// `rule_files` patterns, resolved against the config file's directory (globs as
    /// Prometheus: `filepath.Glob`).
    public var ruleFiles: [String] = []
    /// `rule_query:`, the query API for rules when there is no `sls:` section.
    public var ruleQuery: RuleQueryConfig?
    /// `alerting:`.
    public var alerting: AlertingConfig = AlertingConfig()
    /// Keys skipped because promsls does not support them (only with `ignoreUnsupported`),
    /// each as `file:line: key: message`.
    public var warnings: [String] = []

    public init(
        global: GlobalConfig = GlobalConfig(), scrapeConfigs: [ScrapeConfig] = [],
        remoteWrite: [RemoteWriteConfig] = [], sls: SLSConfig? = nil, sourcePath: String = ""
    ) {
        self.global = global
        self.scrapeConfigs = scrapeConfigs
        self.remoteWrite = remoteWrite
        self.sls = sls
        self.sourcePath = sourcePath
    }
}

/// `global:`.
public struct GlobalConfig: Sendable, Equatable {
    /// Prometheus default: 1m.
    public var scrapeInterval: Duration = .seconds(60)
    /// Prometheus default: 10s.
    public var scrapeTimeout: Duration = .seconds(10)
    /// Added to every series sent by remote write (not to scraped series in the scrape loop).
    public var externalLabels: Labels = Labels()
    /// How often rule groups are evaluated unless they set `interval`. Prometheus default: 1m.
    public var evaluationInterval: Duration = .seconds(60)
    /// `rule_query_offset`: how far back of the evaluation time rules query, unless a group sets
    /// `query_offset`. nil: not set (promsls then uses its own default, see Rules).
    public var ruleQueryOffset: Duration?
    /// Default for jobs' `scrape_protocols` (Prometheus `DefaultScrapeProtocols`).
    public var scrapeProtocols: [String] = GlobalConfig.defaultScrapeProtocols
    /// Limits inherited by jobs that do not set their own. 0 means no limit.
    public var sampleLimit: Int = 0
    public var labelLimit: Int = 0
    public var labelNameLengthLimit: Int = 0
    public var labelValueLengthLimit: Int = 0
    public var targetLimit: Int = 0
    /// 0 means no limit.
    public var bodySizeLimitBytes: Int = 0
    /// Dropped targets kept for the status pages per job; 0 means no limit (Prometheus).
    public var keepDroppedTargets: Int = 0
    /// `extra_scrape_metrics`: nil when unset (then `--enable-feature=extra-scrape-metrics`
    /// decides), inherited by jobs that do not set their own.
    public var extraScrapeMetrics: Bool?
    /// `scrape_failure_log_file` (resolved against the config's directory), inherited by jobs.
    public var scrapeFailureLogFile: String?
    /// `metric_name_validation_scheme`: `utf8` (Prometheus 3's default) or `legacy`. promsls
    /// checks names with the legacy rules either way.
    public var metricNameValidationScheme: String = "utf8"

    /// Prometheus's default negotiation order (`config.DefaultScrapeProtocols`).
    public static let defaultScrapeProtocols = [
        "OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4",
    ]
    /// Every protocol name Prometheus accepts in `scrape_protocols`.
    public static let knownScrapeProtocols: Set<String> = [
        "PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusText0.0.4",
        "PrometheusText1.0.0",
    ]

    public init() {}
}

/// A secret: shown as `<secret>` whenever printed.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}

/// `basic_auth:` (password inline or from `password_file`, read at load time).
public struct BasicAuth: Sendable, Equatable {
    public var username: String
    public var password: Secret
    /// The file the password was read from, if any (re-read on reload).
    public var passwordFile: String?
    public init(username: String, password: Secret, passwordFile: String? = nil) {
        self.username = username
        self.password = password
        self.passwordFile = passwordFile
    }
}

/// `authorization:` (`type` defaults to `Bearer`).
public struct Authorization: Sendable, Equatable {
    public var type: String
    public var credentials: Secret
    public var credentialsFile: String?
    public init(type: String = "Bearer", credentials: Secret, credentialsFile: String? = nil) {
        self.type = type
        self.credentials = credentials
        self.credentialsFile = credentialsFile
    }
}

/// `tls_config:`.
public struct TLSConfig: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Inline PEM (`ca`, `cert`, `key`), used instead of the files.
    public var ca: String?
    public var cert: String?
    public var key: Secret?
    public var serverName: String?
    public var insecureSkipVerify: Bool = false
    /// `min_version` / `max_version`: `TLS10`, `TLS11`, `TLS12` or `TLS13`. Prometheus's
    /// default minimum is TLS 1.2.
    public var minVersion: String?
    public var maxVersion: String?
    public init() {}
}

/// `oauth2:` (client credentials grant, as golang.org/x/oauth2/clientcredentials).
public struct OAuth2Config: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: Secret
    /// Read again before every token request (Prometheus re-reads it too).
    public var clientSecretFile: String?
    public var scopes: [String] = []
    public var tokenURL: String
    public var endpointParams: [String: String] = [:]
    /// TLS and proxy for the token endpoint.
    public var tlsConfig: TLSConfig = TLSConfig()
    public var proxy: ProxyConfig = ProxyConfig()
    public init(clientID: String, clientSecret: Secret, tokenURL: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenURL = tokenURL
    }
}

/// `proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`
/// (Prometheus common `ProxyConfig`).
public struct ProxyConfig: Sendable, Equatable {
    public var proxyURL: String?
    /// Comma-separated hosts, domains, IPs and CIDRs not to proxy (Go's `NO_PROXY` syntax).
    public var noProxy: String?
    public var proxyFromEnvironment: Bool = false
    /// Headers sent to the proxy on CONNECT, each with its values (secrets).
    public var proxyConnectHeaders: [String: [Secret]] = [:]
    public init() {}
    public var isEnabled: Bool { proxyURL != nil || proxyFromEnvironment }
}

/// One `http_headers` entry: values sent as they are, secrets (never printed), and files
/// read before every request.
public struct HTTPHeaderValues: Sendable, Equatable {
    public var values: [String] = []
    public var secrets: [Secret] = []
    public var files: [String] = []
    public init() {}
}

/// HTTP client options shared by scraping and remote write.
public struct HTTPClientConfig: Sendable, Equatable {
    public var basicAuth: BasicAuth?
    public var authorization: Authorization?
    public var oauth2: OAuth2Config?
    public var tlsConfig: TLSConfig = TLSConfig()
    public var proxy: ProxyConfig = ProxyConfig()
    /// `http_headers`, by header name.
    public var httpHeaders: [String: HTTPHeaderValues] = [:]
    /// `follow_redirects` (Prometheus default true).
    public var followRedirects: Bool = true
    /// `enable_http2` (Prometheus default true).
    public var enableHTTP2: Bool = true
    public init() {}
}

/// One `static_configs` entry.
public struct StaticConfig: Sendable, Equatable {
    public var targets: [String]
    public var labels: Labels
    public init(targets: [String], labels: Labels = Labels()) {
        self.targets = targets
        self.labels = labels
    }
}

/// One `scrape_configs` entry, with globals already inherited.
public struct ScrapeConfig: Sendable, Equatable {
    public var jobName: String
    public var scrapeInterval: Duration
    public var scrapeTimeout: Duration
    public var metricsPath: String = "/metrics"
    public var scheme: String = "http"
    /// URL query parameters (`params:`), each name with one or more values.
    public var params: [String: [String]] = [:]
    public var honorLabels: Bool = false
    public var honorTimestamps: Bool = true
    public var staticConfigs: [StaticConfig] = []
    public var httpClient: HTTPClientConfig = HTTPClientConfig()
    /// `relabel_configs` (applied to targets), raw rule configs.
    public var relabelConfigs: [RelabelRuleConfig] = []
    /// `metric_relabel_configs` (applied to scraped samples), raw rule configs.
    public var metricRelabelConfigs: [RelabelRuleConfig] = []
    /// 0 means no limit.
    public var sampleLimit: Int = 0
    public var labelLimit: Int = 0
    public var labelNameLengthLimit: Int = 0
    public var labelValueLengthLimit: Int = 0
    public var targetLimit: Int = 0
    /// 0 means no limit.
    public var bodySizeLimitBytes: Int = 0
    /// `keep_dropped_targets`: dropped targets kept for the status pages and API; 0 means no
    /// limit (Prometheus's default). Inherited from `global`.
    public var keepDroppedTargets: Int = 0
    /// `file_sd_configs`, `http_sd_configs`, `dns_sd_configs` (see Model+Discovery.swift).
    public var fileSDConfigs: [FileSDConfig] = []
    public var httpSDConfigs: [HTTPSDConfig] = []
    public var dnsSDConfigs: [DNSSDConfig] = []
    public var kubernetesSDConfigs: [KubernetesSDConfig] = []
    /// `scrape_protocols`, in preference order (inherited from `global`).
    public var scrapeProtocols: [String] = GlobalConfig.defaultScrapeProtocols
    /// `fallback_scrape_protocol`: used when the target's Content-Type is missing or unknown.
    public var fallbackScrapeProtocol: String?
    public var trackTimestampsStaleness: Bool = false
    /// `enable_compression` (Prometheus default true: ask for gzip).
    public var enableCompression: Bool = true
    /// `extra_scrape_metrics` (nil: inherited from global, else the feature flag decides).
    public var extraScrapeMetrics: Bool?
    /// `scrape_failure_log_file`, resolved against the config's directory (inherited).
    public var scrapeFailureLogFile: String?

    public init(jobName: String, scrapeInterval: Duration = .seconds(60), scrapeTimeout: Duration = .seconds(10)) {
        self.jobName = jobName
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
    }
}

/// One relabel rule as written in YAML, with Prometheus's defaults. Compiled by `Relabel`.
/// See https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
public struct RelabelRuleConfig: Sendable, Equatable {
    public var sourceLabels: [String] = []
    public var separator: String = ";"
    public var regex: String = "(.*)"
    public var modulus: UInt64 = 0
    public var targetLabel: String = ""
    public var replacement: String = "$1"
    public var action: String = "replace"
    /// Where the rule was written (`file:line`), for error messages.
    public var location: String = ""
    public init() {}
}

/// `queue_config:` with Prometheus's defaults (`config.DefaultQueueConfig`).
public struct QueueConfig: Sendable, Equatable {
    /// Samples buffered per shard before reading from the WAL blocks. Default 10000.
    public var capacity: Int = 10000
    /// Default 50 (Prometheus 2.x/3.x).
    public var maxShards: Int = 50
    /// Default 1.
    public var minShards: Int = 1
    /// Default 2000.
    public var maxSamplesPerSend: Int = 2000
    /// Default 5s.
    public var batchSendDeadline: Duration = .seconds(5)
    /// Default 30ms.
    public var minBackoff: Duration = .milliseconds(30)
    /// Default 5s.
    public var maxBackoff: Duration = .seconds(5)
    /// promsls default: true (Prometheus: false). 429 is retried after `Retry-After`.
    public var retryOnHTTP429: Bool = true
    /// 0 = no age limit (Prometheus default).
    public var sampleAgeLimit: Duration = .zero
    /// Cap of one request's uncompressed protobuf size. promsls default 8 MiB.
    public var maxBytesPerSend: Int = 8 << 20
    public init() {}
}

/// `metadata_config:`.
public struct MetadataConfig: Sendable, Equatable {
    public var send: Bool = true
    public var sendInterval: Duration = .seconds(60)
    public var maxSamplesPerSend: Int = 2000
    public init() {}
}

/// One `remote_write` entry.
public struct RemoteWriteConfig: Sendable, Equatable {
    public var url: String
    /// `name:`; when empty, a stable name derived from the URL and settings is used.
    public var name: String = ""
    /// Default 30s.
    public var remoteTimeout: Duration = .seconds(30)
    public var headers: [String: String] = [:]
    public var httpClient: HTTPClientConfig = HTTPClientConfig()
    public var queueConfig: QueueConfig = QueueConfig()
    public var metadataConfig: MetadataConfig = MetadataConfig()
    public var writeRelabelConfigs: [RelabelRuleConfig] = []
    public var sendExemplars: Bool = false
    /// The Metricstore's data model, enforced before sending: set for the entry an `sls:`
    /// section expands to, nil for plain `remote_write` entries (sent untouched).
    public var slsDataModel: SLSDataModel?
    /// Credentials obtained at run time (files read when used, the ECS role, OIDC, a
    /// credentials URI) for an `sls:` entry; nil: the HTTP client's own auth.
    public var slsCredentials: SLSCredentialsConfig?

    public init(url: String) { self.url = url }
}
