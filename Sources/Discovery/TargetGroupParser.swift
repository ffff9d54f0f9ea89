import PromModel
import Relabel
import Yams

/// Why a target-group document (file_sd file, http_sd answer) was refused.
public struct TargetGroupParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 1-based line of the offending node (0 when unknown).
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// Parses Prometheus's target-group format, a list of `{targets: [...], labels: {...}}`,
/// in JSON or YAML (YAML is a superset of JSON, so one parser reports lines for both):
/// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config
public enum TargetGroupParser {
    /// - Parameters:
    ///   - text: the document.
    ///   - sourcePrefix: each group's `source` is `sourcePrefix:index`.
    ///   - strict: refuse keys other than `targets` and `labels` (YAML files, as Prometheus's
    ///     strict YAML decoding; JSON ignores unknown fields).
    ///   - extraLabels: added to every group's labels (`__meta_filepath`, `__meta_url`).
    /// - Throws: `TargetGroupParseError` with the line of the first problem.
    public static func parse(
        _ text: String, sourcePrefix: String, strict: Bool, extraLabels: Labels = Labels()
    ) throws(TargetGroupParseError) -> [TargetGroup] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw TargetGroupParseError(line: Self.line(of: e), message: Self.message(of: e))
        } catch {
            throw TargetGroupParseError(line: 0, message: "\(error)")
        }
        guard let root else { return [] }  // empty document: no groups
        if isNull(root) { return [] }
        guard case .sequence(let seq) = root else {
            throw TargetGroupParseError(line: root.mark?.line ?? 0, message: "expected a list of target groups")
        }
        var out: [TargetGroup] = []
        for (index, item) in seq.enumerated() {
            guard case .mapping(let map) = item else {
                throw TargetGroupParseError(
                    line: item.mark?.line ?? 0, message: "target group \(index) is not a mapping")
            }
            var targets: [Labels] = []
            var labels = LabelsBuilder(extraLabels)
            for (keyNode, value) in map {
                guard let key = keyNode.string else {
                    throw TargetGroupParseError(line: keyNode.mark?.line ?? 0, message: "keys must be strings")
                }
                switch key {
                case "targets":
                    if isNull(value) { continue }
                    guard case .sequence(let ts) = value else {
                        throw TargetGroupParseError(
                            line: value.mark?.line ?? 0, message: "targets must be a list of strings")
                    }
                    for t in ts {
                        guard case .scalar(let s) = t, !isNull(t) else {
                            throw TargetGroupParseError(
                                line: t.mark?.line ?? 0, message: "each target must be a string")
                        }
                        guard !s.string.isEmpty else {
                            throw TargetGroupParseError(line: t.mark?.line ?? 0, message: "empty target address")
                        }
                        targets.append(Labels([Label("__address__", s.string)]))
                    }
                case "labels":
                    if isNull(value) { continue }
                    guard case .mapping(let lm) = value else {
                        throw TargetGroupParseError(line: value.mark?.line ?? 0, message: "labels must be a mapping")
                    }
                    for (n, v) in lm {
                        guard let name = n.string, LabelName.isValid(name) else {
                            throw TargetGroupParseError(
                                line: n.mark?.line ?? 0, message: "\"\(n.string ?? "?")\" is not a valid label name")
                        }
                        guard case .scalar(let sv) = v else {
                            throw TargetGroupParseError(
                                line: v.mark?.line ?? 0, message: "label \(name) must have a string value")
                        }
                        labels.set(name, isNull(v) ? "" : sv.string)
                    }
                default:
                    if strict {
                        throw TargetGroupParseError(
                            line: keyNode.mark?.line ?? 0, message: "field \(key) not found in type targetgroup.Group")
                    }
                }
            }
            out.append(TargetGroup(source: "\(sourcePrefix):\(index)", targets: targets, labels: labels.labels()))
        }
        return out
    }

    private static func isNull(_ n: Node) -> Bool {
        if case .scalar(let s) = n, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
            return true
        }
        return false
    }

    private static func line(of e: YamlError) -> Int {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 0
        }
    }

    private static func message(of e: YamlError) -> String {
        switch e {
        case .scanner(let ctx, let problem, _, _), .parser(let ctx, let problem, _, _),
            .composer(let ctx, let problem, _, _):
            guard let ctx, !ctx.text.isEmpty else { return problem }
            return "\(ctx.text): \(problem)"
        default: return "\(e)"
        }
    }
}
