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
            "{\"time\":\(JSONText.quoted(JSONText.rfc3339(ms: timestampMs, trimFraction: false))),\"level\":\"ERROR\",\"msg\":\(JSONText.quoted(error)),"
            + "\"job_name\":\(JSONText.quoted(jobName)),\"target\":\(JSONText.quoted(targetURL))}\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
