import PromModel

#if canImport(Glibc)
    import Glibc
#endif

/// `scrape_failure_log_file`: one JSON line per failed scrape, appended to the file, as
/// Prometheus writes them (`{"time":…,"level":"ERROR","msg":…}` plus the job and target).
/// The file is opened for each line (`O_APPEND`), so it can be rotated or removed at any time.
final class ScrapeFailureLog: Sendable {
    let path: String
    let jobName: String

    init(path: String, jobName: String) {
        self.path = path
        self.jobName = jobName
    }

    /// Appends one line; a file that cannot be written is skipped (the failure is still in
    /// the target's lastError and the agent's log).
    func record(targetURL: String, error: String, timestampMs: Int64) {
        let line =
            "{\"time\":\(JSONText.quoted(Self.rfc3339(timestampMs))),\"level\":\"ERROR\",\"msg\":\(JSONText.quoted(error)),"
            + "\"job_name\":\(JSONText.quoted(jobName)),\"target\":\(JSONText.quoted(targetURL))}\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// `2026-12-02T17:06:40.123Z`.
    static func rfc3339(_ ms: Int64) -> String {
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }
}
