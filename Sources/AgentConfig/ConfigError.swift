/// A configuration error, located in the source file.
///
/// Its description reads like a compiler diagnostic:
/// `configs/x.yml:12:5: scrape_configs[1].scrape_timeout: "5x" is not a valid duration`.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The config file ("" when loaded from a string without a path).
    public var file: String
    /// 1-based line, 0 when unknown (for example, the file could not be read).
    public var line: Int
    /// 1-based column, 0 when unknown.
    public var column: Int
    /// Where in the document, e.g. `scrape_configs[1].scrape_timeout` ("" for the whole file).
    public var keyPath: String
    /// What is wrong, without the location.
    public var message: String

    public init(file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:column`, shortened when parts are unknown.
    public var location: String {
        let name = file.isEmpty ? "<config>" : file
        if line == 0 { return name }
        if column == 0 { return "\(name):\(line)" }
        return "\(name):\(line):\(column)"
    }

    public var description: String {
        keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
