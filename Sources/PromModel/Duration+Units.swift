/// A `Duration` as the plain numbers metrics, timestamps and NIO want: the one conversion
/// every module uses (it was copied into eight).
extension Duration {
    /// The duration in seconds, with its fraction (Go's `time.Duration.Seconds()`): for
    /// metrics (`*_seconds`) and JSON.
    public var totalSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole milliseconds, truncated towards zero: for timestamps and intervals in ms.
    public var totalMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }

    /// Whole nanoseconds, truncated towards zero (NIO's `TimeAmount.nanoseconds`).
    public var totalNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
