import CCrypt

#if canImport(Glibc)
    import Glibc
#endif

/// bcrypt verification through libcrypt's `crypt_r` (libxcrypt: `$2a$`, `$2b$`, `$2y$`).
enum Bcrypt {
    /// Whether `hash` looks like a bcrypt hash (`$2?$NN$` + 53 characters).
    static func isHash(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"), b[3] == UInt8(ascii: "$"),
            b[6] == UInt8(ascii: "$")
        else { return false }
        return [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2])
    }

    /// Whether `password` hashes to `hash`. Compares in constant time.
    static func verify(password: String, hash: String) -> Bool {
        guard isHash(hash) else { return false }
        // crypt_data is ~32 KiB: on the heap, zeroed as crypt_r requires.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let out = crypt_r(password, hash, data) else { return false }
        let computed = Array(UnsafeRawBufferPointer(start: out, count: strlen(out)))
        memset(data, 0, MemoryLayout<crypt_data>.size)
        let expected = Array(hash.utf8)
        guard computed.count == expected.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<expected.count { diff |= computed[i] ^ expected[i] }
        return diff == 0
    }
}
