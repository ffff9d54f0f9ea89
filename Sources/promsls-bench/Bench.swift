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
    /// Bytes of input per item run (for MB/s); 0 = not shown.
    var bytesPerItem: Double = 0

    var line: String {
        let nsPer = seconds * 1e9 / Double(max(items, 1))
        let perSec = Double(items) / max(seconds, 1e-9)
        let allocPer = Double(allocs) / Double(max(items, 1))
        let mbs = bytesPerItem > 0 ? String(format: "%7.0f MB/s", perSec * bytesPerItem / 1e6) : ""
        return String(
            format: "%-40@ %9.1f ns/sample %11.0f samples/s %8.3f allocs/sample %@ %@", name as NSString, nsPer, perSec,
            allocPer, mbs as NSString, extra as NSString)
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
    func append(_ labels: Labels, timestampMs: Int64, value: Double) throws -> SeriesRef {
        count += 1
        lastValue = value
        return SeriesRef(raw: 1)
    }
    func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws -> Bool {
        count += 1
        lastValue = value
        return true
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
        out +=
            "http_requests_total{code=\"200\",handler=\"\(path)\",method=\"GET\",pod=\"pod-\(i % 7)\"} \(i * 13 + seed)\n"
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

/// The issue-3 benchmark body: `series` series of histograms (10 buckets + sum + count) and
/// summaries (5 quantiles + sum + count) with 5–10 labels each.
func generatedBody(series: Int, seed: Int) -> [UInt8] {
    var out = ""
    out.reserveCapacity(series * 160)
    var n = 0
    var i = 0
    let les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    let qs = ["0.5", "0.9", "0.95", "0.99", "0.999"]
    out += "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n"
    while n < series / 2 {
        let base =
            "cluster=\"c\(i % 3)\",code=\"\(200 + i % 5)\",handler=\"/api/v1/items/\(i % 40)\",method=\"GET\",namespace=\"ns-\(i % 9)\",pod=\"web-\(i)\""
        for (k, le) in les.enumerated() {
            out += "http_request_duration_seconds_bucket{\(base),le=\"\(le)\"} \(i * 3 + k + seed)\n"
        }
        out += "http_request_duration_seconds_sum{\(base)} \(Double(i + seed) * 0.37)\n"
        out += "http_request_duration_seconds_count{\(base)} \(i * 3 + 10 + seed)\n"
        n += 12
        i += 1
    }
    out += "# HELP rpc_duration_seconds RPC latency.\n# TYPE rpc_duration_seconds summary\n"
    while n < series {
        let base = "app=\"billing\",env=\"prod\",instance_id=\"i-\(i)\",rpc=\"Get\(i % 30)\",zone=\"z\(i % 4)\""
        for (k, q) in qs.enumerated() {
            out += "rpc_duration_seconds{\(base),quantile=\"\(q)\"} \(Double(k + seed) * 0.01 + Double(i) * 1e-4)\n"
        }
        out += "rpc_duration_seconds_sum{\(base)} \(Double(i + seed) * 1.5)\n"
        out += "rpc_duration_seconds_count{\(base)} \(i + seed)\n"
        n += 7
        i += 1
    }
    return Array(out.utf8)
}
