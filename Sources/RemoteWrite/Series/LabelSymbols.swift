import PromModel

/// The process's interned label strings: every distinct label name and value a live
/// `WireSeries` uses, stored once and named by a small integer id (a series is then a list of
/// ids, ≈ 2 bytes each, instead of its strings). As Prometheus's remote-write interner
/// (`storage/remote/intern.go`), each symbol counts the series holding it.
///
/// - Interning (`intern`) and releasing (`release`) take the table's lock; a symbol whose count
///   drops to zero stays findable (a series made again soon revives it) until a sweep frees it,
///   once the dead symbols outnumber half the live ones (and at least 4,096).
/// - Reading (`withReader`) takes the lock once for any number of lookups: the encoder reads a
///   whole batch's labels under one acquisition. Nothing in the reader's closure may intern or
///   release a symbol (the lock is not reentrant): keep every `WireSeries` the closure touches
///   alive outside it.
///
/// Memory per distinct string: its bytes in one allocation, a 16-byte entry and 8–16 bytes of
/// open-addressing index.
// @unchecked: `state` is read and written under `lock` only; the compiler cannot see a lock
// discipline (and `Mutex` would need the raw pointers of the entries to be `Sendable`).
final class LabelSymbols: @unchecked Sendable {
    /// The table every `WireSeries` uses.
    static let shared = LabelSymbols()

    struct Entry {
        /// The bytes; nil for a free id.
        var bytes: UnsafeMutableRawPointer?
        var count: UInt32
        /// Series holding the symbol (each occurrence counts once).
        var refs: UInt32
    }

    struct State {
        var entries: [Entry] = []
        var free: [UInt32] = []
        /// Open-addressing index by hash of the bytes (linear probing, power-of-two size, at most
        /// half full): id + 1, 0 for an empty position.
        var index: [UInt32] = []
        var live = 0
        var dead = 0
    }

    private let lock = NSLockLite()
    fileprivate var state = State()

    init() {}

    deinit { for e in state.entries { e.bytes?.deallocate() } }

    /// Symbols held by at least one series, and symbols kept though no series holds them.
    var counts: (live: Int, dead: Int) { lock.withLock { (state.live, state.dead) } }

    /// Series holding `string`, nil when the table does not have it (tests).
    func holders(of string: String) -> UInt32? {
        var s = string
        return s.withUTF8 { b in
            lock.withLock {
                state.entries.first { e in
                    e.bytes.map { UnsafeRawBufferPointer(start: $0, count: Int(e.count)).elementsEqual(b) } ?? false
                }?.refs
            }
        }
    }

    /// The id of `bytes`, counting one more holder (creates the symbol when new).
    func intern(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        lock.withLock { Self.intern(bytes, &state) }
    }

    /// Interns several strings under one lock acquisition (`Interner.intern` as `intern`).
    func interning<T>(_ body: (Interner) -> T) -> T {
        lock.withLock { body(Interner(table: self)) }
    }

    /// Interning valid inside `interning`.
    struct Interner {
        fileprivate let table: LabelSymbols

        /// The id of `bytes`, counting one more holder (creates the symbol when new).
        func intern(_ bytes: UnsafeRawBufferPointer) -> UInt32 { LabelSymbols.intern(bytes, &table.state) }
    }

    /// Drops one holder of each id in `ids` (varint-encoded, as `WireSeries` stores them).
    func release(varints ids: UnsafeRawBufferPointer) {
        lock.withLock {
            var pos = 0
            while pos < ids.count {
                let id = Int(Self.readVarint(ids, &pos))
                guard id < state.entries.count, state.entries[id].refs > 0 else { continue }
                state.entries[id].refs -= 1
                if state.entries[id].refs == 0 {
                    state.live -= 1
                    state.dead += 1
                }
            }
            if state.dead >= 4096 && state.dead * 2 > state.live { Self.sweep(&state) }
        }
    }

    /// Reads symbols under one lock acquisition. See the type's note on what `body` may do.
    func withReader<T>(_ body: (Reader) -> T) -> T {
        lock.withLock { state.entries.withUnsafeBufferPointer { body(Reader(entries: $0)) } }
    }

    /// Symbol lookups valid inside `withReader`.
    struct Reader {
        let entries: UnsafeBufferPointer<Entry>

        /// The bytes of symbol `id` (empty for an unknown id).
        @inline(__always)
        func bytes(_ id: UInt32) -> UnsafeRawBufferPointer {
            guard Int(id) < entries.count, let p = entries[Int(id)].bytes else {
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
            return UnsafeRawBufferPointer(start: p, count: Int(entries[Int(id)].count))
        }
    }

    // MARK: - Under the lock

    fileprivate static func intern(_ bytes: UnsafeRawBufferPointer, _ s: inout State) -> UInt32 {
        let h = hash(bytes)
        if !s.index.isEmpty {
            let mask = s.index.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while s.index[i] != 0 {
                let id = Int(s.index[i] - 1)
                let e = s.entries[id]
                if Int(e.count) == bytes.count,
                    let p = e.bytes,
                    bytes.count == 0 || memcmpEqual(p, bytes)
                {
                    if e.refs == 0 {
                        s.dead -= 1
                        s.live += 1
                    }
                    s.entries[id].refs += 1
                    return UInt32(id)
                }
                i = (i + 1) & mask
            }
        }
        // New symbol.
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        if let base = bytes.baseAddress, bytes.count > 0 { copy.copyMemory(from: base, byteCount: bytes.count) }
        let entry = Entry(bytes: copy, count: UInt32(bytes.count), refs: 1)
        let id: Int
        if let f = s.free.popLast() {
            id = Int(f)
            s.entries[id] = entry
        } else {
            id = s.entries.count
            s.entries.append(entry)
        }
        s.live += 1
        if (s.live + s.dead) * 2 > s.index.count {
            rebuildIndex(&s)
        } else {
            insert(id, hash: h, &s.index)
        }
        return UInt32(id)
    }

    /// Frees every symbol no series holds and rebuilds the index.
    private static func sweep(_ s: inout State) {
        for id in s.entries.indices where s.entries[id].refs == 0 && s.entries[id].bytes != nil {
            s.entries[id].bytes?.deallocate()
            s.entries[id] = Entry(bytes: nil, count: 0, refs: 0)
            s.free.append(UInt32(id))
        }
        s.dead = 0
        rebuildIndex(&s)
    }

    private static func rebuildIndex(_ s: inout State) {
        var size = 64
        while size < (s.live + s.dead) * 2 + 2 { size <<= 1 }
        s.index = [UInt32](repeating: 0, count: size)
        for id in s.entries.indices {
            guard let p = s.entries[id].bytes else { continue }
            insert(id, hash: hash(UnsafeRawBufferPointer(start: p, count: Int(s.entries[id].count))), &s.index)
        }
    }

    private static func insert(_ id: Int, hash h: UInt64, _ index: inout [UInt32]) {
        let mask = index.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while index[i] != 0 { i = (i + 1) & mask }
        index[i] = UInt32(id + 1)
    }

    @inline(__always)
    private static func memcmpEqual(_ p: UnsafeMutableRawPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        UnsafeRawBufferPointer(start: p, count: b.count).elementsEqual(b)
    }

    /// FNV-1a over the bytes, then mixed (the index uses the low bits).
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        h ^= h >> 29
        h &*= 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    @inline(__always)
    static func readVarint(_ b: UnsafeRawBufferPointer, _ pos: inout Int) -> UInt32 {
        var v: UInt32 = 0
        var shift: UInt32 = 0
        while pos < b.count {
            let x = b[pos]
            pos += 1
            v |= UInt32(x & 0x7f) << shift
            if x < 0x80 { break }
            shift += 7
        }
        return v
    }
}
