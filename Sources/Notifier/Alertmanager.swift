import AgentConfig
import PromModel
import Relabel

/// One Alertmanager, as discovered and relabeled (Prometheus `alertmanagerLabels`).
struct Alertmanager: Sendable, Equatable {
    /// The labels the URL is made of: `__scheme__`, `__address__`, `__alerts_path__`.
    var labels: Labels
    /// `{__scheme__}://{__address__}{__alerts_path__}`, where alerts are POSTed.
    var url: String

    init(labels: Labels) {
        self.labels = labels
        url = Self.url(
            scheme: labels[Self.schemeLabel] ?? "", host: labels[Self.addressLabel] ?? "",
            path: labels[Self.pathLabel] ?? "")
    }

    static let schemeLabel = "__scheme__"
    static let addressLabel = "__address__"
    /// Prometheus's `pathLabel`: the path alerts are POSTed to, relabelable.
    static let pathLabel = "__alerts_path__"

    /// As Go's `url.URL{Scheme, Host, Path}.String()`: a path that does not start with `/` gets
    /// one, and characters that may not appear in a path are percent-encoded.
    static func url(scheme: String, host: String, path: String) -> String {
        var p = escapePath(path)
        if !p.isEmpty && !p.hasPrefix("/") { p = "/" + p }
        return "\(scheme)://\(host)\(p)"
    }

    private static func escapePath(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where "-._~/!$&'()*+,;=:@".utf8.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }

    /// `path.Join("/", prefix, "/api/v2/alerts")` (Prometheus `postPath`).
    static func alertsPath(prefix: String) -> String { cleanPath("/" + prefix + "/api/v2/alerts") }

    /// Go's `path.Clean` of an absolute path: repeated slashes collapsed, `.` and `..`
    /// resolved, no trailing slash.
    static func cleanPath(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// The Alertmanagers of one `alerting.alertmanagers` entry, from discovered label sets
/// (Prometheus `AlertmanagerFromGroup` and `alertmanagerSet.sync`).
struct AlertmanagerResolution: Equatable {
    /// Kept by `relabel_configs`, deduplicated by URL, in discovery order.
    var active: [Alertmanager] = []
    /// Dropped by `relabel_configs`, with their labels before relabeling (status API).
    var dropped: [Alertmanager] = []
    /// Kept, but with an address that cannot be used (empty, or with a `/`), and why.
    var invalid: [(labels: Labels, reason: String)] = []

    static func == (a: Self, b: Self) -> Bool {
        a.active == b.active && a.dropped == b.dropped && a.invalid.map(\.labels) == b.invalid.map(\.labels)
    }

    /// Sets `__scheme__` and `__alerts_path__` from the config over each discovered label set,
    /// applies `relabel_configs`, and builds each kept Alertmanager's URL.
    init(discovered: [Labels], scheme: String, pathPrefix: String, relabel: RelabelRules?) {
        let path = Alertmanager.alertsPath(prefix: pathPrefix)
        var seen = Set<String>()
        for labels in discovered {
            var b = LabelsBuilder(labels)
            b.set(Alertmanager.schemeLabel, scheme)
            b.set(Alertmanager.pathLabel, path)
            let pre = b.labels()
            var relabeled: Labels? = pre
            if let relabel { relabeled = relabel.apply(pre) }
            guard let kept = relabeled else {
                dropped.append(Alertmanager(labels: pre))
                continue
            }
            let address = kept[Alertmanager.addressLabel] ?? ""
            if address.isEmpty {
                invalid.append((kept, "no __address__ after relabeling"))
                continue
            }
            if address.contains("/") {
                invalid.append((kept, "\"\(address)\" is not a valid hostname"))
                continue
            }
            let am = Alertmanager(labels: kept)
            if seen.insert(am.url).inserted { active.append(am) }
        }
    }

    /// The label sets of `static_configs`: `__address__` plus each group's labels.
    static func staticLabelSets(_ configs: [StaticConfig]) -> [Labels] {
        configs.flatMap { sc in
            sc.targets.map { target in
                var b = LabelsBuilder(sc.labels)
                b.set(Alertmanager.addressLabel, target)
                return b.labels()
            }
        }
    }
}
