import AgentConfig

extension RemoteWriteConfig {
    /// The `remote_name` label: `name`, or when empty a short stable hash of the URL (6 hex
    /// digits of FNV-1a; Prometheus hashes the whole config the same way).
    public var remoteName: String {
        guard name.isEmpty else { return name }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in url.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(6))
    }
}
