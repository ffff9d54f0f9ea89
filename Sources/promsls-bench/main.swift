import Exposition
import Foundation
import PromModel
import Relabel
import RemoteWrite
import Scrape

// `make bench`: the hot path (parse → relabel → encode) on real and synthetic bodies.
// Numbers are per sample; allocations are counted by interposing malloc (CAllocCounter).

let nodeBody = loadFixture("Tests/ExpositionTests/Fixtures/real/node_exporter-1.5.0.prom")
let vmBody = loadFixture("Tests/ExpositionTests/Fixtures/real/victoria-metrics-1.79.5.prom")
let synthA = syntheticBody(series: 10_000, seed: 1)
let synthB = syntheticBody(series: 10_000, seed: 2)
let gen100kA = generatedBody(series: 100_000, seed: 1)
let gen100kB = generatedBody(series: 100_000, seed: 2)
var bodies: [(String, [UInt8])] = [("synthetic-10k", synthA), ("generated-100k", gen100kA)]
/// The same series with other values (the steady state alternates between the two).
func otherBody(_ name: String, _ body: [UInt8]) -> [UInt8] {
    name == "synthetic-10k" ? synthB : name == "generated-100k" ? gen100kB : body
}
func samplesIn(_ body: [UInt8]) -> Int {
    var p = ExpositionParser(body: body, format: .prometheusText)
    var n = 0
    while let e = try? p.next() { if e == .series { n += 1 } }
    return n
}
if let nodeBody {
    bodies.insert(("node_exporter-1.5.0", nodeBody), at: 0)
} else {
    print("note: run from the repository root to include the real fixtures")
}
if let vmBody { bodies.insert(("victoria-metrics-1.79.5", vmBody), at: 1) }

print("promsls bench — \(ProcessInfo.processInfo.processorCount) cores")
print("")
print("1. parse only (ExpositionParser.next + value, no label strings)")
for (name, body) in bodies {
    let r = measure("parse/\(name)") {
        var p = ExpositionParser(body: body, format: .prometheusText)
        var n = 0
        var sum = 0.0
        while let e = try? p.next() {
            if e == .series {
                n += 1
                sum += p.value
            }
        }
        if sum == -1 { print("") }
        return n
    }
    var rr = r
    rr.bytesPerItem = Double(body.count) / Double(max(samplesIn(body), 1))
    print(rr.line)
}

print("")
print("2. scrape path, steady state (parse + cache lookup + target labels + append), alternating values")
let target = Labels(["instance": "10.0.0.1:9100", "job": "node"])
for (name, body) in bodies {
    let other = otherBody(name, body)
    let sa = ScrapeBodyAppender(targetLabels: target)
    let app = CountingAppender()
    var ts: Int64 = 1_000_000
    var flip = false
    let r = try measure("scrape/\(name)") {
        ts += 1000
        flip.toggle()
        let before = app.count
        _ = try sa.append(body: flip ? body : other, format: .prometheusText, timestampMs: ts, to: app)
        return app.count - before
    }
    var rr = r
    rr.bytesPerItem = Double(body.count) / Double(max(samplesIn(body), 1))
    print(rr.line)
}

print("")
print("3. first scrape of a target (every series new: label strings built, relabel, cache fill)")
for (name, body) in bodies {
    let r = try measure("first-scrape/\(name)", minSeconds: 0.5) {
        let sa = ScrapeBodyAppender(targetLabels: target)
        let app = CountingAppender()
        _ = try sa.append(body: body, format: .prometheusText, timestampMs: 1000, to: app)
        return app.count
    }
    var rr = r
    rr.bytesPerItem = Double(body.count) / Double(max(samplesIn(body), 1))
    print(rr.line)
}

print("")
print("3b. 10-rule metric_relabel_configs on the generated 100k-series body: cold (first scrape) and cached")
let tenRules = RelabelRules([
    try RelabelRule(regex: "cluster", action: "labeldrop"),
    try RelabelRule(sourceLabels: ["handler"], regex: "/api/v1/(.*)/[0-9]+", targetLabel: "api", replacement: "$1"),
    try RelabelRule(sourceLabels: ["__name__"], regex: "http_.*|rpc_.*", action: "keep"),
    try RelabelRule(sourceLabels: ["namespace"], regex: "ns-(.)", targetLabel: "ns_short", replacement: "$1"),
    try RelabelRule(sourceLabels: ["pod"], regex: "web-(.*)", targetLabel: "pod_id", replacement: "$1"),
    try RelabelRule(sourceLabels: ["pod"], regex: "(.*)", targetLabel: "pod_upper", action: "uppercase"),
    try RelabelRule(regex: "pod_upper", action: "labeldrop"),
    try RelabelRule(sourceLabels: ["env"], regex: "staging", action: "drop"),
    try RelabelRule(sourceLabels: ["zone"], regex: "z(.*)", targetLabel: "zone_num", replacement: "$1"),
    try RelabelRule(
        sourceLabels: ["__name__", "code"], separator: "_", regex: "(.*)_5..", targetLabel: "is_error",
        replacement: "true"),
])
let relabelTransform: LabelsTransform = { tenRules.apply($0) }
let coldR = try measure("relabel10/cold/generated-100k", minSeconds: 1) {
    let sa = ScrapeBodyAppender(targetLabels: target, metricRelabel: relabelTransform)
    let app = CountingAppender()
    _ = try sa.append(body: gen100kA, format: .prometheusText, timestampMs: 1000, to: app)
    return app.count
}
print(coldR.line)
do {
    let sa = ScrapeBodyAppender(targetLabels: target, metricRelabel: relabelTransform)
    let app = CountingAppender()
    var ts: Int64 = 1_000_000
    var flip = false
    let cached = try measure("relabel10/cached/generated-100k") {
        ts += 1000
        flip.toggle()
        let before = app.count
        _ = try sa.append(body: flip ? gen100kA : gen100kB, format: .prometheusText, timestampMs: ts, to: app)
        return app.count - before
    }
    print(cached.line)
    print("   (cached: rules run once per series and the result is reused; compare with scrape/generated-100k)")
}

print("")
print("4. relabel (labeldrop + replace with a regex + keep), per label set")
let rules = RelabelRules([
    try RelabelRule(regex: "pod", action: "labeldrop"),
    try RelabelRule(sourceLabels: ["handler"], regex: "/api/v1/(.*)", targetLabel: "api", replacement: "$1"),
    try RelabelRule(sourceLabels: ["__name__"], regex: "http_.*|req_.*|process_.*", action: "keep"),
])
var labelSets: [Labels] = []
do {
    var p = ExpositionParser(body: synthA, format: .prometheusText)
    while labelSets.count < 10_000, let e = try p.next() {
        if e == .series { labelSets.append(p.labels()) }
    }
}
let rr = measure("relabel/3-rules") {
    var kept = 0
    for l in labelSets where rules.apply(l) != nil { kept += 1 }
    return labelSets.count + (kept < 0 ? 1 : 0)
}
print(rr.line)

print("")
print("5. remote-write encode (protobuf) + snappy, 2000-sample batches")
var samples: [TimeSeriesSample] = labelSets.prefix(2000).enumerated().map { i, l in
    var b = LabelsBuilder(l)
    b.set("instance", "10.0.0.1:9100")
    b.set("job", "node")
    return TimeSeriesSample(labels: b.labels(), timestampMs: 1_700_000_000_000 + Int64(i), value: Double(i) * 1.5)
}
var encoder = WriteRequestEncoder(reservingCapacity: 1 << 20)
var compressed: [UInt8] = []
compressed.reserveCapacity(1 << 20)
var wireBytes = 0
var rawBytes = 0
let er = try measure("encode+snappy/2000") {
    let raw = encoder.encode(samples: samples)
    try Snappy.compress(raw, into: &compressed)
    wireBytes = compressed.count
    rawBytes = raw.count
    return samples.count
}
var erl = er
erl.extra = String(
    format: "%.1f B/sample protobuf, %.1f B/sample on the wire", Double(rawBytes) / 2000, Double(wireBytes) / 2000)
print(erl.line)

print("")
await runWALBenchmark()

#if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let hwm = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM") })
    {
        print("")
        print("peak RSS of the bench process: \(hwm.dropFirst(6).trimmingCharacters(in: .whitespaces))")
    }
#endif

print("")
print("6. memory of the scrape caches: 20 targets x 5000 sample lines (heap bytes per line; 73,700 distinct series)")
if ProcessInfo.processInfo.environment["BENCH_ONLY"] == nil
    || ProcessInfo.processInfo.environment["BENCH_ONLY"] == "memory"
{
    let before = heapInUse()
    var appenders: [ScrapeBodyAppender] = []
    for t in 0..<20 {
        let body = syntheticBody(series: 5000, seed: t)
        let sa = ScrapeBodyAppender(targetLabels: Labels(["instance": "10.0.0.\(t):9100", "job": "node"]))
        _ = try sa.append(body: body, format: .prometheusText, timestampMs: 1000, to: CountingAppender())
        appenders.append(sa)
    }
    let after = heapInUse()
    print(
        String(
            format: "cache/100k-series %10.0f bytes/series  (%d targets)", Double(after - before) / 100_000,
            appenders.count))
    appenders.removeAll()
    try await runMemoryBenchmark()
}
