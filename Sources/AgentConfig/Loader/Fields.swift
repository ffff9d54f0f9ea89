import Yams

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
    ///   - unsupported: keys Prometheus accepts but promsls does not do, with the reason.
    /// - Throws: when `node` is not a mapping, or a key is unknown or unsupported.
    init(
        _ node: Node, path: String, context: LoadContext, known: [String], unsupported: [String: String] = [:]
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
            } else {
                var message = "unknown key \(quoted(name))"
                if let suggestion = closestMatch(to: name, in: known) {
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
    func stringMap(_ key: String) throws(ConfigError) -> [(key: String, value: String, node: Node)]? {
        guard let value = value(key) else { return nil }
        guard case .mapping(let mapping) = value else {
            throw error(key, "expected a mapping, got \(value.kindName)")
        }
        var out: [(key: String, value: String, node: Node)] = []
        for (name, item) in mapping {
            let name = try context.scalar(name, keyPath(key))
            out.append((name, item.isNull ? "" : try context.scalar(item, child(keyPath(key), name)), item))
        }
        return out
    }

    /// A nested section, checked against its own known keys.
    func section(_ key: String, known: [String], unsupported: [String: String] = [:]) throws(ConfigError) -> Fields? {
        guard let value = value(key) else { return nil }
        return try Fields(value, path: keyPath(key), context: context, known: known, unsupported: unsupported)
    }
}

extension LoadContext {
    /// The text of a scalar node (any scalar type: `123` is the string "123", as yaml.v2 does).
    func scalar(_ node: Node, _ keyPath: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(node, keyPath, "expected a single value, got \(node.kindName)")
        }
        return scalar.string
    }
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
