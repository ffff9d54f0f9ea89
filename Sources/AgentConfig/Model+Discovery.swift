// Service-discovery configs promsls supports (`file_sd_configs`, `http_sd_configs`,
// `dns_sd_configs`), with Prometheus's defaults:
// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config

/// One `file_sd_configs` entry.
public struct FileSDConfig: Sendable, Equatable {
    /// Paths or globs (in the last path element only), resolved against the config's directory.
    /// Each must end in `.json`, `.yml` or `.yaml`.
    public var files: [String]
    /// Re-read interval besides file watching. Prometheus default: 5m.
    public var refreshInterval: Duration = .seconds(300)
    public init(files: [String], refreshInterval: Duration = .seconds(300)) {
        self.files = files
        self.refreshInterval = refreshInterval
    }
}

/// One `http_sd_configs` entry.
public struct HTTPSDConfig: Sendable, Equatable {
    public var url: String
    /// Prometheus default: 1m.
    public var refreshInterval: Duration = .seconds(60)
    public var httpClient: HTTPClientConfig = HTTPClientConfig()
    public init(url: String, refreshInterval: Duration = .seconds(60)) {
        self.url = url
        self.refreshInterval = refreshInterval
    }
}

/// One `dns_sd_configs` entry.
public struct DNSSDConfig: Sendable, Equatable {
    public var names: [String]
    /// `SRV` (default), `A`, `AAAA`, `MX` or `NS`.
    public var type: String = "SRV"
    /// Required unless `type` is `SRV`.
    public var port: Int = 0
    /// Prometheus default: 30s.
    public var refreshInterval: Duration = .seconds(30)
    public init(names: [String], type: String = "SRV", port: Int = 0, refreshInterval: Duration = .seconds(30)) {
        self.names = names
        self.type = type
        self.port = port
        self.refreshInterval = refreshInterval
    }
}
