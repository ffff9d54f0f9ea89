import CMalloc
import Foundation
import Testing

/// The malloc arena cap of every promsls binary (CMalloc's load-time constructor): set before
/// any thread exists, so threads that allocate later share the capped arenas instead of each
/// keeping one of its own with its freed memory.
@Suite struct MallocArenaTests {
    @Test func threadsAllocatingAtOnceShareTheCappedArenas() throws {
        guard promsls_malloc_arena_count() >= 0 else { return }  // not glibc
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // Eight threads, each holding allocations while the others allocate: without the cap
        // glibc would give most of them an arena of their own.
        let threads = 8
        let ready = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread.detachNewThread {
                let held = (0..<64).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16) }
                ready.signal()
                release.wait()
                for p in held { p.deallocate() }
                ready.signal()
            }
        }
        for _ in 0..<threads { ready.wait() }
        let arenas = promsls_malloc_arena_count()
        for _ in 0..<threads { release.signal() }
        for _ in 0..<threads { ready.wait() }
        #expect(arenas >= 1)
        #expect(arenas <= Int(PROMSLS_MALLOC_ARENAS), "arenas: \(arenas)")
    }
}
