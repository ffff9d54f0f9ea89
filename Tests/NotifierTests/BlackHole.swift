#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP socket on 127.0.0.1 that listens but never accepts: connections complete in the
/// kernel's backlog and requests are never answered (an Alertmanager that hangs).
final class BlackHole: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        (fd, port) = try Self.bound()
        guard listen(fd, 64) == 0 else {
            _ = Glibc.close(fd)
            throw TestFailure("listen failed: errno \(errno)")
        }
    }

    func close() { _ = Glibc.close(fd) }

    /// A port nothing listens on (bound to find a free one, then closed).
    static func closedPort() throws -> Int {
        let (fd, port) = try bound()
        _ = Glibc.close(fd)
        return port
    }

    private static func bound() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else {
            _ = Glibc.close(fd)
            throw TestFailure("bind(127.0.0.1:0) failed: errno \(errno)")
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
