import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few file-system calls file discovery needs (glob, stat, read), without Foundation.
enum FileSystem {
    /// Runs blocking file work (glob, stat, read) on NIO's blocking-I/O threads, so a slow or
    /// hung file system never holds a thread of Swift's cooperative pool.
    /// - Throws: what `body` throws; NIO's error if the thread pool has been shut down.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// What identifies one version of a file: a change in any field means "re-read it".
    struct Fingerprint: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtimeNs: Int64
    }

    /// Paths matching `pattern` (shell glob), sorted; a pattern without glob characters
    /// matches itself only when the file exists.
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    /// The file's fingerprint (following symlinks, so ConfigMap-style swaps are seen), or nil
    /// when it does not exist or is not a regular file.
    static func fingerprint(_ path: String) -> Fingerprint? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Fingerprint(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// The whole file as UTF-8 text (invalid bytes replaced).
    /// - Throws: `FileReadError` with `strerror` text when it cannot be opened or read.
    static func readText(_ path: String) throws(FileReadError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError(message: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    struct FileReadError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
