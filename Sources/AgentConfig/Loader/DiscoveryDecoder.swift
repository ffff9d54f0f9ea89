import Yams

/// `file_sd_configs`, `http_sd_configs`, `dns_sd_configs` of a job.
enum DiscoveryDecoder {
    static func fileSD(_ job: Fields) throws(ConfigError) -> [FileSDConfig] {
        var out: [FileSDConfig] = []
        for item in try job.sequence("file_sd_configs") ?? [] {
            let fields = try Fields(
                item.node, path: item.path, context: job.context, known: ["files", "refresh_interval"])
            let files = try fields.stringList("files") ?? []
            guard !files.isEmpty else {
                throw fields.missing("files", "file service discovery config must contain at least one path name")
            }
            var resolved: [String] = []
            for (index, file) in files.enumerated() {
                let name = file.split(separator: "/").last.map(String.init) ?? file
                let validExtension = [".json", ".yml", ".yaml"].contains { name.hasSuffix($0) }
                let globInDirectory = file.dropLast(name.count).contains { "*?[".contains($0) }
                guard validExtension, !globInDirectory else {
                    throw job.context.error(
                        fields.value("files"), "\(fields.keyPath("files"))[\(index)]",
                        "path name \(quoted(file)) is not valid for file discovery (a .json, .yml or .yaml file; globs only in the last element)"
                    )
                }
                resolved.append(job.context.resolve(path: file))
            }
            var config = FileSDConfig(files: resolved)
            if let refresh = try positiveDuration(fields, "refresh_interval") { config.refreshInterval = refresh }
            out.append(config)
        }
        return out
    }

    static func httpSD(_ job: Fields) throws(ConfigError) -> [HTTPSDConfig] {
        var out: [HTTPSDConfig] = []
        for item in try job.sequence("http_sd_configs") ?? [] {
            let fields = try Fields(
                item.node, path: item.path, context: job.context,
                known: ["url", "refresh_interval"] + HTTPClientDecoder.keys,
                unsupported: HTTPClientDecoder.unsupported)
            let url = try fields.requiredString("url")
            try URLCheck.httpURL(url, fields, "url")
            var config = HTTPSDConfig(url: url)
            if let refresh = try positiveDuration(fields, "refresh_interval") { config.refreshInterval = refresh }
            config.httpClient = try HTTPClientDecoder.decode(fields)
            out.append(config)
        }
        return out
    }

    static func dnsSD(_ job: Fields) throws(ConfigError) -> [DNSSDConfig] {
        var out: [DNSSDConfig] = []
        for item in try job.sequence("dns_sd_configs") ?? [] {
            let fields = try Fields(
                item.node, path: item.path, context: job.context, known: ["names", "type", "port", "refresh_interval"])
            let names = try fields.stringList("names") ?? []
            guard !names.isEmpty else {
                throw fields.missing("names", "DNS-SD config must contain at least one SRV record name")
            }
            var config = DNSSDConfig(names: names)
            if let type = try fields.string("type") {
                let upper = type.uppercased()
                guard ["SRV", "A", "AAAA", "MX", "NS"].contains(upper) else {
                    throw fields.error(
                        "type", "invalid DNS-SD records type \(quoted(type)) (use SRV, A, AAAA, MX or NS)")
                }
                config.type = upper
            }
            config.port = try fields.int("port") ?? 0
            guard config.port <= 65535 else { throw fields.error("port", "port \(config.port) is out of range") }
            if config.type != "SRV", config.port == 0 {
                throw fields.missing("port", "a port is required in DNS-SD configs for all record types except SRV")
            }
            if let refresh = try positiveDuration(fields, "refresh_interval") { config.refreshInterval = refresh }
            out.append(config)
        }
        return out
    }

    private static func positiveDuration(_ fields: Fields, _ key: String) throws(ConfigError) -> Duration? {
        guard let value = try fields.duration(key) else { return nil }
        guard value > .zero else { throw fields.error(key, "must be greater than 0") }
        return value
    }
}

/// URL checks shared by remote write and HTTP SD.
enum URLCheck {
    /// Requires `http://` or `https://` followed by a host.
    static func httpURL(_ url: String, _ fields: Fields, _ key: String) throws(ConfigError) {
        let rest: Substring
        if url.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else {
            throw fields.error(key, "\(quoted(url)) is not a valid URL: scheme must be http or https")
        }
        guard let first = rest.first, first != "/", first != ":", !url.contains(" ") else {
            throw fields.error(key, "\(quoted(url)) is not a valid URL: missing host")
        }
    }
}
