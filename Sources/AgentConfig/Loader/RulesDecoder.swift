import Yams

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `rule_files:` — glob patterns of rule files, resolved against the config file's directory.
/// The files themselves are read by the Rules module (as Prometheus's rule manager reads them
/// after the config): here only the patterns are checked, as Prometheus's `Config.Validate`.
enum RuleFilesDecoder {
    static func decode(_ fields: Fields) throws(ConfigError) -> [String] {
        guard try fields.stringList("rule_files") != nil else { return [] }
        var resolved: [String] = []
        for item in try fields.sequence("rule_files") ?? [] {
            let pattern = try fields.context.scalar(item.node, item.path)
            // Prometheus `patRulePath`: `^[^*]*(\*[^/]*)?$`, one `*`, in the last path element.
            if let star = pattern.firstIndex(of: "*"),
                pattern[star...].dropFirst().contains(where: { $0 == "*" || $0 == "/" })
            {
                throw fields.context.error(item.node, item.path, "invalid rule file path \(quoted(pattern))")
            }
            resolved.append(fields.context.resolve(path: pattern))
        }
        return resolved
    }
}

/// `rule_query:` — a promsls section: the Prometheus-compatible API that evaluates rules when
/// there is no `sls:` section.
enum RuleQueryDecoder {
    static let keys = ["url", "timeout", "headers"] + HTTPClientDecoder.keys

    static func decode(_ fields: Fields) throws(ConfigError) -> RuleQueryConfig {
        let url = try fields.requiredString("url")
        guard let parsed = URL(string: url), let scheme = parsed.scheme, scheme == "http" || scheme == "https",
            parsed.host != nil
        else {
            throw fields.error("url", "\(quoted(url)) is not an http(s) URL")
        }
        var config = RuleQueryConfig(url: url)
        if let timeout = try fields.duration("timeout") {
            guard timeout > .zero else { throw fields.error("timeout", "timeout must be greater than 0") }
            config.timeout = timeout
        }
        for pair in try fields.stringMap("headers") ?? [] {
            guard !HTTPClientDecoder.reservedHeaders.contains(pair.key.lowercased()) else {
                throw fields.context.error(
                    pair.node, child(fields.keyPath("headers"), pair.key),
                    "\(quoted(pair.key)) is a reserved header; it is not allowed")
            }
            config.headers[pair.key] = pair.value
        }
        config.httpClient = try HTTPClientDecoder.decode(fields)
        return config
    }
}
