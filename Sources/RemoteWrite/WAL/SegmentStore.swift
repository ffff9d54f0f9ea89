import PromModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A WAL I/O failure, with the errno and what was being done.
public struct WALIOError: Error, CustomStringConvertible, Sendable {
    public var op: String
    public var path: String
    public var errno: Int32
    public var description: String { "\(op) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
    /// The disk (or its quota) is full.
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }
}

/// Where the WAL keeps its segments and reader positions: the disk in production, memory in
/// tests and when no `--storage.agent.path` is set. Also the seam for fault injection.
protocol SegmentStore: AnyObject, Sendable {
    /// Existing segment numbers, ascending.
    func segments() throws -> [Int]
    /// Appends all of `bytes` to segment `n` (created if missing), or throws; after a throw
    /// the caller truncates back to the last good size.
    func append(_ n: Int, _ bytes: [UInt8]) throws
    func sync(_ n: Int) throws
    func truncate(_ n: Int, to size: Int) throws
    /// The size of segment `n`, nil when it does not exist.
    func size(_ n: Int) -> Int?
    /// Up to `count` bytes from `offset`; nil when the segment does not exist.
    func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]?
    func remove(_ n: Int) throws
    /// Last modification time of segment `n`, Unix milliseconds.
    func modifiedMs(_ n: Int) -> Int64?
    /// Closes the open write handle (the next append reopens).
    func close()
    func loadPosition(_ name: String) -> ReaderPosition?
    func savePosition(_ name: String, _ p: ReaderPosition) throws
    func positionNames() -> [String]
    func removePosition(_ name: String)
    var description: String { get }
}

/// Keeps a reader name safe as a file name.
func positionFileName(_ name: String) -> String {
    String(
        String.UnicodeScalarView(
            name.unicodeScalars.map { c in
                (c.isASCII
                    && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == "."))
                    ? c : "_"
            }))
}

/// Segments as files `<dir>/00000001`… and positions as `<dir>/positions/<name>`.
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class FileSegmentStore: SegmentStore, @unchecked Sendable {
    let dir: String
    private let lock = NSLockLite()
    private var fd: Int32 = -1
    private var fdSegment = -1

    /// Creates `dir` and `dir/positions` if needed.
    /// - Throws: `WALIOError` when they cannot be created.
    init(dir: String) throws {
        self.dir = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        try Self.mkdirs(self.dir)
        try Self.mkdirs(self.dir + "/positions")
    }

    var description: String { dir }

    static func mkdirs(_ path: String) throws {
        var cur = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            cur += "/" + part
            if mkdir(cur, 0o755) != 0 && errno != EEXIST { throw WALIOError(op: "mkdir", path: cur, errno: errno) }
        }
    }

    func path(_ n: Int) -> String { dir + "/" + WALPosition.segmentName(n) }

    func segments() throws -> [Int] {
        guard let d = opendir(dir) else { throw WALIOError(op: "opendir", path: dir, errno: errno) }
        defer { closedir(d) }
        var out: [Int] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.count == 8, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(name) { out.append(n) }
        }
        return out.sorted()
    }

    private func writeFD(_ n: Int) throws -> Int32 {
        if fdSegment == n && fd >= 0 { return fd }
        if fd >= 0 { Glibc_close(fd) }
        fd = open(path(n), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            fdSegment = -1
            throw WALIOError(op: "open", path: path(n), errno: errno)
        }
        fdSegment = n
        return fd
    }

    func append(_ n: Int, _ bytes: [UInt8]) throws {
        try lock.withLock {
            let fd = try writeFD(n)
            try bytes.withUnsafeBytes { raw in
                var off = 0
                while off < raw.count {
                    let w = write(fd, raw.baseAddress! + off, raw.count - off)
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw WALIOError(op: "write", path: path(n), errno: errno)
                    }
                    off += w
                }
            }
        }
    }

    func sync(_ n: Int) throws {
        try lock.withLock {
            if fdSegment == n && fd >= 0 {
                if fsync(fd) != 0 { throw WALIOError(op: "fsync", path: path(n), errno: errno) }
                return
            }
            let f = open(path(n), O_RDONLY | O_CLOEXEC)
            guard f >= 0 else { return }
            defer { Glibc_close(f) }
            if fsync(f) != 0 { throw WALIOError(op: "fsync", path: path(n), errno: errno) }
        }
    }

    func truncate(_ n: Int, to size: Int) throws {
        if Glibc_truncate(path(n), off_t(size)) != 0 { throw WALIOError(op: "truncate", path: path(n), errno: errno) }
    }

    func size(_ n: Int) -> Int? {
        var st = stat()
        guard stat(path(n), &st) == 0 else { return nil }
        return Int(st.st_size)
    }

    func modifiedMs(_ n: Int) -> Int64? {
        var st = stat()
        guard stat(path(n), &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]? {
        let f = open(path(n), O_RDONLY | O_CLOEXEC)
        guard f >= 0 else {
            if errno == ENOENT { return nil }
            throw WALIOError(op: "open", path: path(n), errno: errno)
        }
        defer { Glibc_close(f) }
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        try out.withUnsafeMutableBytes { raw in
            while got < count {
                let r = pread(f, raw.baseAddress! + got, count - got, off_t(offset + got))
                if r < 0 {
                    if errno == EINTR { continue }
                    throw WALIOError(op: "read", path: path(n), errno: errno)
                }
                if r == 0 { break }
                got += r
            }
        }
        out.removeLast(count - got)
        return out
    }

    func remove(_ n: Int) throws {
        lock.withLock {
            if fdSegment == n && fd >= 0 {
                Glibc_close(fd)
                fd = -1
                fdSegment = -1
            }
        }
        if unlink(path(n)) != 0 && errno != ENOENT { throw WALIOError(op: "unlink", path: path(n), errno: errno) }
    }

    func close() {
        lock.withLock {
            if fd >= 0 { Glibc_close(fd) }
            fd = -1
            fdSegment = -1
        }
    }

    func positionPath(_ name: String) -> String { dir + "/positions/" + positionFileName(name) }

    func loadPosition(_ name: String) -> ReaderPosition? {
        let f = open(positionPath(name), O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return nil }
        defer { Glibc_close(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 22 {
            let n = buf.withUnsafeMutableBytes { Glibc_read(f, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += buf.prefix(n)
        }
        return ReaderPosition.decode(String(decoding: bytes, as: UTF8.self))
    }

    /// Atomic replace: write a temporary file, fsync it, rename over the old one.
    func savePosition(_ name: String, _ p: ReaderPosition) throws {
        let final = positionPath(name)
        let tmp = final + ".tmp"
        let f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard f >= 0 else { throw WALIOError(op: "open", path: tmp, errno: errno) }
        let text = Array(p.encoded.utf8)
        let w = text.withUnsafeBytes { write(f, $0.baseAddress!, $0.count) }
        let ok = w == text.count && fsync(f) == 0
        let err = errno
        Glibc_close(f)
        guard ok else { throw WALIOError(op: "write", path: tmp, errno: err) }
        if rename(tmp, final) != 0 { throw WALIOError(op: "rename", path: final, errno: errno) }
    }

    func positionNames() -> [String] {
        guard let d = opendir(dir + "/positions") else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") && !name.hasSuffix(".tmp") { out.append(name) }
        }
        return out
    }

    func removePosition(_ name: String) { unlink(positionPath(name)) }
}

/// Segments in memory: tests, and an agent without a storage path (no durability).
// @unchecked: every stored `var` is read and written under `lock` only; the compiler cannot see a lock discipline.
final class MemorySegmentStore: SegmentStore, @unchecked Sendable {
    private let lock = NSLockLite()
    private var files: [Int: [UInt8]] = [:]
    private var mtimes: [Int: Int64] = [:]
    private var positions: [String: ReaderPosition] = [:]

    init() {}

    var description: String { "(memory)" }
    func segments() throws -> [Int] { lock.withLock { files.keys.sorted() } }
    func append(_ n: Int, _ bytes: [UInt8]) throws {
        lock.withLock {
            files[n, default: []].append(contentsOf: bytes)
            mtimes[n] = currentTimeMs()
        }
    }
    func sync(_ n: Int) throws {}
    func truncate(_ n: Int, to size: Int) throws {
        lock.withLock {
            if let f = files[n], f.count > size { files[n] = Array(f.prefix(size)) }
        }
    }
    func size(_ n: Int) -> Int? { lock.withLock { files[n]?.count } }
    func read(_ n: Int, offset: Int, count: Int) throws -> [UInt8]? {
        lock.withLock {
            guard let f = files[n] else { return nil }
            guard offset < f.count else { return [] }
            return Array(f[offset..<min(f.count, offset + count)])
        }
    }
    func remove(_ n: Int) throws { lock.withLock { _ = files.removeValue(forKey: n) } }
    func modifiedMs(_ n: Int) -> Int64? { lock.withLock { mtimes[n] } }
    func close() {}
    func loadPosition(_ name: String) -> ReaderPosition? { lock.withLock { positions[name] } }
    func savePosition(_ name: String, _ p: ReaderPosition) throws { lock.withLock { positions[name] = p } }
    func positionNames() -> [String] { lock.withLock { Array(positions.keys) } }
    func removePosition(_ name: String) { lock.withLock { _ = positions.removeValue(forKey: name) } }

    /// Test hook: overwrite bytes in place.
    func corrupt(_ n: Int, at offset: Int, _ f: (UInt8) -> UInt8) {
        lock.withLock { files[n]![offset] = f(files[n]![offset]) }
    }

    /// Test hook: backdate a segment.
    func setModified(_ n: Int, ms: Int64) { lock.withLock { mtimes[n] = ms } }
}

// Names that collide with our methods.
@inline(__always) private func Glibc_close(_ fd: Int32) { _ = close(fd) }
@inline(__always) private func Glibc_read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }
@inline(__always) private func Glibc_truncate(_ p: String, _ n: off_t) -> Int32 { truncate(p, n) }
