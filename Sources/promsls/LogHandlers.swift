import Foundation
import Logging
import PromModel

/// Log line format selected by `--log.format`.
enum LogFormat: String, CaseIterable {
    case logfmt, json
}

/// A swift-log handler writing one line per event to stderr, as Prometheus does:
/// `ts=2026-11-29T23:50:01.123Z level=info component=scrape msg="..." key=value`.
struct LineLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let format: LogFormat

    init(label: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let m = event.metadata { all.merge(m) { _, new in new } }
        let ts = Self.timestamp()
        // A `component` in the metadata (e.g. `wal` under the `remote` logger) replaces the label.
        let component = all.removeValue(forKey: "component").map { "\($0)" } ?? label
        var fields: [(String, String)] = [
            ("ts", ts), ("level", Self.levelName(event.level)), ("component", component), ("msg", "\(event.message)"),
        ]
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { fields.append((k, "\(v)")) }
        var line: String
        switch format {
        case .logfmt:
            line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + fields.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func levelName(_ l: Logger.Level) -> String {
        switch l {
        case .trace, .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error, .critical: return "error"
        }
    }

    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = tv.tv_sec
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday,
            tmv.tm_hour, tmv.tm_min, tmv.tm_sec, Int(tv.tv_usec / 1000))
    }

    static func logfmtValue(_ s: String) -> String {
        if !s.isEmpty && !s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" || $0 == "\\" }) {
            return s
        }
        return jsonString(s)
    }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }
}

/// Installs the process-wide log handler.
func bootstrapLogging(level: String, format: LogFormat) {
    let lvl: Logger.Level
    switch level {
    case "debug": lvl = .debug
    case "warn": lvl = .warning
    case "error": lvl = .error
    default: lvl = .info
    }
    LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: lvl, format: format) }
}
