import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// State of one load: the file being read (for error locations), the directory relative
/// paths resolve against, the environment for `*_env` keys, and the warnings collected.
final class LoadContext {
    let file: String
    /// Directory of `file` ("" when loaded from a string): Prometheus resolves relative
    /// `*_file` paths against the config file's directory.
    let directory: String
    let environment: [String: String]
    let ignoreUnsupported: Bool
    /// The context of the main file when this one reads a `scrape_config_files` file: warnings
    /// are collected there.
    private let parent: LoadContext?
    private var ownWarnings: [String] = []
    var warnings: [String] { parent?.warnings ?? ownWarnings }

    init(file: String, environment: [String: String], ignoreUnsupported: Bool, parent: LoadContext? = nil) {
        self.parent = parent
        self.file = file
        if let slash = file.lastIndex(of: "/") {
            directory = slash == file.startIndex ? "/" : String(file[..<slash])
        } else {
            directory = ""
        }
        self.environment = environment
        self.ignoreUnsupported = ignoreUnsupported
    }

    /// An error located at `node` (or at the start of the file when there is no node).
    func error(_ node: Node?, _ keyPath: String, _ message: String) -> ConfigError {
        error(at: node?.mark, keyPath, message)
    }

    func error(at mark: Mark?, _ keyPath: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, keyPath: keyPath, message: message)
    }

    /// `file:line` of a node, for `RelabelRuleConfig.location` and warnings.
    func location(_ node: Node) -> String {
        let name = file.isEmpty ? "<config>" : file
        guard let mark = node.mark else { return name }
        return "\(name):\(mark.line)"
    }

    /// The context for a file named by `scrape_config_files`: its own name in errors and its
    /// own directory for relative paths, warnings collected by this one.
    func including(file: String) -> LoadContext {
        LoadContext(file: file, environment: environment, ignoreUnsupported: ignoreUnsupported, parent: parent ?? self)
    }

    /// Records a warning (`file:line: key: message`).
    func warn(_ node: Node, _ keyPath: String, _ message: String) {
        let text = "\(location(node)): \(keyPath): \(message)"
        if let parent { parent.ownWarnings.append(text) } else { ownWarnings.append(text) }
    }

    /// Skips an unsupported key with a warning, or refuses it.
    func unsupported(key: Node, _ keyPath: String, _ message: String) throws(ConfigError) {
        if ignoreUnsupported {
            warn(key, keyPath, message + "; ignored (--config.ignore-unsupported)")
        } else {
            throw error(
                key, keyPath,
                message + "; remove it, or run with --config.ignore-unsupported to skip it with a warning")
        }
    }

    /// Resolves a path from the config against the config file's directory.
    func resolve(path: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory + "/" + path
    }

    /// A secret file Prometheus reads at every request (`password_file`, `credentials_file`,
    /// `bearer_token_file`): its content now, or "" with a warning when it cannot be read or is
    /// empty — the requests fail (counted, logged) until it can be, the agent starts.
    func readSecretFileWhenUsed(_ path: String, node: Node, keyPath: String) -> String {
        let value: String
        do {
            value = try readSecretFile(path, node: node, keyPath: keyPath)
        } catch {
            warn(node, keyPath, "\(error.message); it is read at every request, which fails until it can be read")
            return ""
        }
        if value.isEmpty {
            warn(node, keyPath, "\(quoted(resolve(path: path))) is empty; requests fail until it holds the secret")
        }
        return value
    }

    /// Reads a secret file at load time; surrounding whitespace (the trailing newline) is
    /// trimmed, as Prometheus does.
    func readSecretFile(_ path: String, node: Node, keyPath: String) throws(ConfigError) -> String {
        let resolved = resolve(path: path)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: resolved))
        } catch {
            throw self.error(node, keyPath, "cannot read \(quoted(resolved)): \(fileReadReason(error, path: resolved))")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.trimmingASCIIWhitespace())
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

/// `"text"` with quotes and backslashes escaped, for messages.
func quoted(_ text: String) -> String {
    var out = "\""
    for char in text.unicodeScalars {
        switch char {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(char)
        }
    }
    return out + "\""
}

/// Appends `.key` to a key path.
func child(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : path + "." + key
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(word.lowercased(), candidate)
        if distance <= max(1, min(3, candidate.count / 3)), distance < (best?.1 ?? .max) {
            best = (candidate, distance)
        }
    }
    return best?.0
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// Why a file could not be read, as Go words it (`no such file or directory`, `permission
/// denied`), not Foundation's `Error Domain=NSCocoaErrorDomain Code=260 …`.
public func fileReadReason(_ error: any Error, path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return String(cString: strerror(errno)).lowercased() }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
    return "\(error)"
}
