import Yams

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Prometheus 3.x's service discoveries that promsls lacks (`<name>_sd_configs`).
enum ServiceDiscoveries {
    static let unsupported: Set<String> = [
        "aws", "azure", "consul", "digitalocean", "docker", "dockerswarm", "ec2", "eureka", "gce", "hetzner", "ionos",
        "kuma", "lightsail", "linode", "marathon", "nerve", "nomad", "oci", "openstack", "outscale",
        "ovhcloud", "puppetdb", "scaleway", "serverset", "stackit", "triton", "uyuni", "vultr",
    ]
}

/// A YAML mapping whose keys have been checked: every key is known, refused as unsupported
/// (or skipped with a warning), or an error naming the closest known key. Typed getters
/// return `nil` for absent or `null` keys and throw located errors for wrong values.
struct Fields {
    let node: Node
    let path: String
    let context: LoadContext
    private var entries: [String: (key: Node, value: Node)] = [:]

    /// - Parameters:
    ///   - known: the keys this section accepts.
    ///   - unsupported: keys Prometheus accepts but promsls does not do, with the reason:
    ///     refused unless `--config.ignore-unsupported` (ignoring them would lose data).
    ///   - meaningless: keys that mean nothing for an agent, with the reason: accepted with
    ///     one warning each.
    ///   - discoveries: this section takes service discoveries: any other `*_sd_configs` key
    ///     is a discovery promsls lacks, refused as unsupported.
    /// - Throws: when `node` is not a mapping, or a key is unknown or unsupported.
    init(
        _ node: Node, path: String, context: LoadContext, known: [String], unsupported: [String: String] = [:],
        meaningless: [String: String] = [:], discoveries: Bool = false
    ) throws(ConfigError) {
        self.node = node
        self.path = path
        self.context = context
        guard case .mapping(let mapping) = node else {
            throw context.error(node, path, "expected a mapping, got \(node.kindName)")
        }
        var merged: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw context.error(key, path, "mapping keys must be strings")
            }
            if scalar.string == "<<" {  // YAML merge key: explicit keys win
                for source in value.mergeSources {
                    guard case .mapping(let sourceMapping) = source else {
                        throw context.error(source, child(path, "<<"), "merge value must be a mapping")
                    }
                    merged.append(contentsOf: sourceMapping.map { (key: $0.key, value: $0.value) })
                }
                continue
            }
            let name = scalar.string
            let keyPath = child(path, name)
            if known.contains(name) {
                entries[name] = (key, value)
            } else if let reason = unsupported[name] {
                try context.unsupported(key: key, keyPath, reason)
            } else if let reason = meaningless[name] {
                entries[name] = (key, value)
                if !value.isNull { context.warn(key, keyPath, reason) }
            } else if discoveries, name.hasSuffix("_sd_configs"),
                ServiceDiscoveries.unsupported.contains(String(name.dropLast("_sd_configs".count)))
            {
                let mechanism = name.dropLast("_sd_configs".count)
                try context.unsupported(
                    key: key, keyPath,
                    "promsls does not support \(mechanism)_sd_configs (its targets would not be scraped); use static_configs, file_sd_configs, http_sd_configs or dns_sd_configs"
                )
            } else {
                var message = "unknown key \(quoted(name))"
                let candidates =
                    discoveries ? known + ServiceDiscoveries.unsupported.sorted().map { $0 + "_sd_configs" } : known
                if let suggestion = closestMatch(to: name, in: candidates) {
                    message += "; did you mean \(quoted(suggestion))?"
                }
                throw context.error(key, keyPath, message)
            }
        }
        for (key, value) in merged {
            guard let name = key.scalar?.string, entries[name] == nil else { continue }
            guard known.contains(name) else {
                throw context.error(key, child(path, name), "unknown key \(quoted(name))")
            }
            entries[name] = (key, value)
        }
    }

    func keyPath(_ key: String) -> String { child(path, key) }

    /// The value node, `nil` when the key is absent or null.
    func value(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func keyNode(_ key: String) -> Node? { entries[key]?.key }

    /// An error at the key's value (or at the mapping when absent).
    func error(_ key: String, _ message: String) -> ConfigError {
        context.error(entries[key]?.value ?? node, keyPath(key), message)
    }

    /// An error at the mapping itself, e.g. a missing required key.
    func missing(_ key: String, _ message: String? = nil) -> ConfigError {
        context.error(node, keyPath(key), message ?? "missing required key \(quoted(key))")
    }

    // MARK: Typed getters

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        return try context.scalar(value, keyPath(key))
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw missing(key) }
        return text
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "\(quoted(text)) is not a boolean")
        }
    }

    func int(_ key: String, min: Int = 0) throws(ConfigError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let number = Int(text.replacingUnderscores) else { throw error(key, "\(quoted(text)) is not an integer") }
        guard number >= min else { throw error(key, "must be at least \(min), got \(number)") }
        return number
    }

    func duration(_ key: String) throws(ConfigError) -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let duration = parsePrometheusDuration(text) else {
            throw error(key, "\(quoted(text)) is not a valid duration (use e.g. 30s, 1m30s, 250ms)")
        }
        return duration
    }

    func byteSize(_ key: String) throws(ConfigError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let bytes = parseBase2Bytes(text) else {
            throw error(key, "\(quoted(text)) is not a valid size (use e.g. 10MB, 512KiB)")
        }
        return bytes
    }

    /// A sequence's items with their key paths (`key[0]`, `key[1]`, …).
    func sequence(_ key: String) throws(ConfigError) -> [(node: Node, path: String)]? {
        guard let value = value(key) else { return nil }
        guard case .sequence(let sequence) = value else {
            throw error(key, "expected a list, got \(value.kindName)")
        }
        return sequence.enumerated().map { (node: $0.element, path: "\(keyPath(key))[\($0.offset)]") }
    }

    func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let items = try sequence(key) else { return nil }
        var out: [String] = []
        for item in items { out.append(try context.scalar(item.node, item.path)) }
        return out
    }

    /// A mapping of strings to strings, in file order.
    /// - Parameter labels: names and values are label names and values: a `!!binary` one that
    ///   is not UTF-8 is "not a valid label name/value", as in Prometheus.
    func stringMap(_ key: String, labels: Bool = false) throws(ConfigError) -> [(
        key: String, value: String, node: Node
    )]? {
        guard let value = value(key) else { return nil }
        guard case .mapping(let mapping) = value else {
            throw error(key, "expected a mapping, got \(value.kindName)")
        }
        var out: [(key: String, value: String, node: Node)] = []
        for (name, item) in mapping {
            let name = try context.scalar(name, keyPath(key), invalidUTF8: labels ? "is not a valid label name" : nil)
            let text =
                item.isNull
                ? ""
                : try context.scalar(
                    item, child(keyPath(key), name), invalidUTF8: labels ? "is not a valid label value" : nil)
            out.append((name, text, item))
        }
        return out
    }

    /// A nested section, checked against its own known keys.
    func section(
        _ key: String, known: [String], unsupported: [String: String] = [:], meaningless: [String: String] = [:]
    ) throws(ConfigError) -> Fields? {
        guard let value = value(key) else { return nil }
        return try Fields(
            value, path: keyPath(key), context: context, known: known, unsupported: unsupported,
            meaningless: meaningless)
    }
}

extension LoadContext {
    /// The text of a scalar node (any scalar type: `123` is the string "123", as yaml.v2 does).
    /// A `!!binary` scalar is base64-decoded, as yaml.v2 does.
    /// - Parameter invalidUTF8: the message for a `!!binary` value that is not UTF-8, after
    ///   its Go-quoted bytes (default "is not valid UTF-8").
    func scalar(_ node: Node, _ keyPath: String, invalidUTF8: String? = nil) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(node, keyPath, "expected a single value, got \(node.kindName)")
        }
        guard scalar.tag.rawValue == Tag.Name.binary.rawValue else { return scalar.string }
        let compact = scalar.string.filter { !" \t\r\n".contains($0) }
        guard let data = Data(base64Encoded: compact) else {
            throw error(node, keyPath, "!!binary value contains invalid base64 data")
        }
        let bytes = [UInt8](data)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw error(node, keyPath, "\(goQuoted(bytes)) \(invalidUTF8 ?? "is not valid UTF-8")")
        }
        return text
    }
}

/// Bytes quoted as Go's `%q` does for a string that is not UTF-8: printable ASCII as is,
/// other bytes as `\xff`.
func goQuoted(_ bytes: [UInt8]) -> String {
    var out = "\""
    for b in bytes {
        switch b {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            let hex = String(b, radix: 16)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out + "\""
}

extension Node {
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    var kindName: String {
        switch self {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The mappings a `<<` merge key refers to (one mapping or a list of them).
    var mergeSources: [Node] {
        if case .sequence(let sequence) = self { return Array(sequence) }
        return [self]
    }
}

extension String {
    /// Go accepts `1_000`-style integers in YAML 1.1; so do we.
    var replacingUnderscores: String { contains("_") ? filter { $0 != "_" } : self }
}
