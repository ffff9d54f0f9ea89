import AgentConfig
import Logging
import PromModel

/// `file_sd_configs`: target groups from JSON or YAML files matched by globs, re-read when
/// they change and every `refresh_interval`, as Prometheus's `discovery/file`.
///
/// Changes are found by polling: every `pollInterval` the globs are expanded and each file's
/// (device, inode, size, mtime) compared with the last read, so new, rewritten, replaced
/// (rename, symlink swap) and deleted files are all seen within one poll. A file that fails
/// to read or parse keeps the targets of its last good version, and the error is logged with
/// the file and line and counted in `prometheus_sd_file_read_errors_total`.
public final class FileDiscoverer: Discoverer {
    public static let metaFilepath = "__meta_filepath"

    let config: FileSDConfig
    let pollInterval: Duration
    let metrics: DiscoveryMetrics
    let logger: Logger
    let clock: any Clock<Duration>

    /// - Parameters:
    ///   - pollInterval: how often the files' fingerprints are checked (default 1 s).
    ///   - clock: what polls wait on and `refresh_interval` is measured by.
    public init(
        config: FileSDConfig, pollInterval: Duration = .seconds(1), metrics: DiscoveryMetrics, logger: Logger,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.config = config
        self.clock = clock
        self.pollInterval = pollInterval
        self.metrics = metrics
        self.logger = logger
    }

    /// What the discoverer knows about one file.
    struct FileState {
        var fingerprint: FileSystem.Fingerprint?
        var groups: [TargetGroup]
    }

    /// The state between polls, a plain struct tested without timers.
    struct State {
        var files: [String: FileState] = [:]
        /// When the files were last all read, as time since `run` began.
        var lastFullRead: Duration? = nil

        /// All groups, in path order.
        var groups: [TargetGroup] { files.keys.sorted().flatMap { files[$0]!.groups } }
    }

    public func run(send: @escaping @Sendable ([TargetGroup]) async -> Void) async {
        var state = State()
        var lastSent: [TargetGroup]? = nil
        let timeline = ClockTimeline(clock)
        while !Task.isCancelled {
            let now = timeline.elapsed()
            let full = state.lastFullRead.map { now - $0 >= config.refreshInterval } ?? true
            if full { state.lastFullRead = now }
            // Globbing, stat and reading files block: off Swift's cooperative pool, on NIO's
            // blocking-I/O threads (a slow or hung network file system stalls this job only).
            do {
                let before = state
                state = try await FileSystem.offThePool { [self] in
                    var s = before
                    poll(&s, forceRead: full)
                    return s
                }
            } catch {
                break
            }
            let groups = state.groups
            if groups != lastSent {
                lastSent = groups
                await send(groups)
            }
            do { try await clock.sleep(for: pollInterval) } catch { break }
        }
    }

    /// One poll: expands the globs, re-reads changed files (all when `forceRead`), forgets
    /// deleted ones.
    func poll(_ state: inout State, forceRead: Bool) {
        let began = ClockTimeline(clock)
        var seen = Set<String>()
        for pattern in config.files {
            for path in FileSystem.glob(pattern) where !seen.contains(path) {
                seen.insert(path)
                guard let fp = FileSystem.fingerprint(path) else { continue }
                if !forceRead, let old = state.files[path], old.fingerprint == fp { continue }
                read(path, fingerprint: fp, into: &state)
            }
        }
        for path in state.files.keys where !seen.contains(path) { state.files[path] = nil }
        metrics.fileScanSeconds.increment(by: began.elapsed().totalSeconds)
    }

    private func read(_ path: String, fingerprint: FileSystem.Fingerprint, into state: inout State) {
        do {
            let text = try FileSystem.readText(path)
            let groups = try Self.parse(text, path: path)
            state.files[path] = FileState(fingerprint: fingerprint, groups: groups)
        } catch {
            metrics.fileReadErrors.increment()
            var md: Logger.Metadata = ["file": "\(path)", "err": "\(error)"]
            if let e = error as? TargetGroupParseError, e.line > 0 { md["line"] = "\(e.line)" }
            logger.error("error reading file_sd file; keeping its last good targets", metadata: md)
            // Remember the fingerprint so a broken file is not re-parsed every poll; its
            // groups stay those of the last good version (none if there was none).
            let previous = state.files[path]?.groups ?? []
            state.files[path] = FileState(fingerprint: fingerprint, groups: previous)
        }
    }

    /// Parses one file: JSON for `.json`, YAML otherwise; every group gets `__meta_filepath`
    /// and the source `path:index`.
    /// - Throws: `TargetGroupParseError` naming the line.
    static func parse(_ text: String, path: String) throws(TargetGroupParseError) -> [TargetGroup] {
        try TargetGroupParser.parse(
            text, sourcePrefix: path, strict: !path.hasSuffix(".json"),
            extraLabels: Labels([Label(metaFilepath, path)]))
    }
}
