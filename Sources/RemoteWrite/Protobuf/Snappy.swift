import CSnappy

/// A snappy failure (remote write uses the block format, not the framed/stream format).
public struct SnappyError: Error, CustomStringConvertible, Sendable, Equatable {
    public var reason: String
    public var description: String { "snappy: \(reason)" }
}

/// Snappy block-format compression through libsnappy's C API, as remote write 1.0 requires
/// (https://prometheus.io/docs/specs/prw/remote_write_spec/#protocol).
public enum Snappy {
    /// Compresses `input` into `output` (replaced; capacity reused).
    /// - Throws: `SnappyError` if libsnappy reports a failure.
    public static func compress(_ input: [UInt8], into output: inout [UInt8]) throws {
        let maxLen = snappy_max_compressed_length(input.count)
        // Grow in place: a sender's buffer keeps its capacity from batch to batch (a new
        // array each time was a fresh mmap of ≈ 230 KiB per 2,000-sample batch, zeroed page
        // by page).
        if output.count < maxLen { output.append(contentsOf: repeatElement(0, count: maxLen - output.count)) }
        var outLen = output.count
        let status = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                inp.withMemoryRebound(to: CChar.self) { i in
                    out.withMemoryRebound(to: CChar.self) { o in
                        snappy_compress(i.baseAddress, i.count, o.baseAddress, &outLen)
                    }
                }
            }
        }
        guard status == SNAPPY_OK else { throw SnappyError(reason: "compress failed (\(status.rawValue))") }
        output.removeLast(output.count - outLen)
    }

    /// Compresses `input` into a new array.
    public static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try compress(input, into: &out)
        return out
    }

    /// Uncompresses a snappy block.
    /// - Parameter maxLength: refuse inputs that claim a larger uncompressed size (bytes).
    /// - Throws: `SnappyError` on a corrupt block or one larger than `maxLength`.
    public static func uncompress(_ input: [UInt8], maxLength: Int = 64 << 20) throws -> [UInt8] {
        try input.withUnsafeBufferPointer { inp in
            try inp.withMemoryRebound(to: CChar.self) { i in
                var n = 0
                guard snappy_uncompressed_length(i.baseAddress, i.count, &n) == SNAPPY_OK else {
                    throw SnappyError(reason: "corrupt input (bad length header)")
                }
                guard n <= maxLength else { throw SnappyError(reason: "uncompressed length \(n) exceeds \(maxLength)") }
                var out = [UInt8](repeating: 0, count: n)
                var outLen = n
                let status = out.withUnsafeMutableBufferPointer { o in
                    o.withMemoryRebound(to: CChar.self) { oc in
                        snappy_uncompress(i.baseAddress, i.count, oc.baseAddress, &outLen)
                    }
                }
                guard status == SNAPPY_OK else { throw SnappyError(reason: "corrupt input (\(status.rawValue))") }
                return out
            }
        }
    }
}
