import CAllocCounter
import Exposition
import Foundation
import PromModel
import Relabel
import RemoteWrite
import Scrape

/// One benchmark result line.
struct BenchResult {
    var name: String
    var items: Int
    var seconds: Double
    var allocs: UInt64
    var extra: String = ""

    var line: String {
        let nsPer = seconds * 1e9 / Double(max(items, 1))
        let perSec = Double(items) / max(seconds, 1e-9)
        let allocPer = Double(allocs) / Double(max(items, 1))
        return String(
            format: "%-34@ %10.1f ns/sample %12.0f samples/s %8.3f allocs/sample  %@", name as NSString, nsPer, perSec,
            allocPer, extra as NSString)
    }
}

/// Runs `body` repeatedly for at least `minSeconds` (after one warm-up run), counting items
/// and heap allocations.
func measure(_ name: String, minSeconds: Double = 1.0, _ body: () throws -> Int) rethrows -> BenchResult {
    // BENCH_ONLY=substring runs only matching benchmarks (for profiling one of them).
    if let only = ProcessInfo.processInfo.environment["BENCH_ONLY"], !name.contains(only) {
        return BenchResult(name: name + " (skipped)", items: 0, seconds: 0, allocs: 0)
    }
    let minSeconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? minSeconds
    _ = try body()
    var items = 0
    let a0 = promsls_alloc_count()
    let t0 = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    repeat {
        items += try body()
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    } while elapsed < minSeconds
    return BenchResult(name: name, items: items, seconds: elapsed, allocs: promsls_alloc_count() - a0)
}

/// An appender that only counts: isolates the scrape path's own cost.
final class CountingAppender: Appender {
    var count = 0
    var lastValue = 0.0
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws {
        count += 1
        lastValue = value
    }
    func commit() async throws {}
    func rollback() {}
}

/// A synthetic exposition like the load kit's exporters: counters with 3–6 labels, gauges,
/// 10-bucket histograms. `seed` changes the values, not the series.
func syntheticBody(series: Int, seed: Int) -> [UInt8] {
    var out = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
    var n = 0
    var i = 0
    while n < series {
        let path = "/api/v1/resource/\(i % 50)"
        out += "http_requests_total{code=\"200\",handler=\"\(path)\",method=\"GET\",pod=\"pod-\(i % 7)\"} \(i * 13 + seed)\n"
        out += "process_open_fds{pod=\"pod-\(i)\"} \(Double(seed % 100) + 0.5)\n"
        n += 2
        if i % 10 == 0 {
            for le in ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"] {
                out += "req_duration_seconds_bucket{handler=\"\(path)\",le=\"\(le)\",idx=\"\(i)\"} \(i + seed)\n"
            }
            n += 10
        }
        i += 1
    }
    return Array(out.utf8)
}

func loadFixture(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

/// Heap bytes in use (glibc `mallinfo2`).
func heapInUse() -> Int {
    Int(promsls_heap_in_use())
}
