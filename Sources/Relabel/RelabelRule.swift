/// One relabel rule, validated and compiled once (regex anchored, templates resolved).
///
/// The fields and defaults are those of Prometheus's `relabel_config`; the validation and its
/// messages are those of `relabel.Config.Validate` with the legacy label-name charset.
/// See https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
public struct RelabelRule: Sendable {
    /// Prometheus's defaults (`relabel.DefaultRelabelConfig`).
    public enum Defaults {
        public static let separator = ";"
        public static let regex = "(.*)"
        public static let replacement = "$1"
        public static let action = "replace"
    }

    public let sourceLabels: [String]
    public let separator: String
    public let regex: Regex
    public let modulus: UInt64
    public let targetLabel: String
    public let replacement: String
    public let action: RelabelAction

    let targetTemplate: Template
    let replacementTemplate: Template

    /// Validates and compiles one rule.
    /// - Parameters:
    ///   - sourceLabels: labels whose values are joined with `separator` (missing → "").
    ///   - separator: default `;`.
    ///   - regex: RE2 pattern, anchored at both ends; default `(.*)`.
    ///   - modulus: for `hashmod`; must be non-zero there.
    ///   - targetLabel: label written by `replace`, `hashmod`, `lowercase`, `uppercase`, or
    ///     compared by `keepequal`/`dropequal`. `replace` may use `$1`/`${name}` in it.
    ///   - replacement: template for `replace` and `labelmap`; default `$1`.
    ///   - action: one of the 11 actions, any case; default `replace`.
    /// - Throws: `RelabelError`:
    ///   - `.unknownAction` for an empty or unknown action;
    ///   - `.invalidSourceLabel` for a source label that is not `[a-zA-Z_][a-zA-Z0-9_]*`;
    ///   - `.invalidRegex` with the pattern and RE2's message;
    ///   - `.zeroModulus` for `hashmod` without a modulus;
    ///   - `.missingTargetLabel` for replace/hashmod/lowercase/uppercase/keepequal/dropequal
    ///     without `target_label`;
    ///   - `.invalidTargetLabel` for a target that is not a label name (or, for `replace`, not a
    ///     label name with `$` variables);
    ///   - `.invalidReplacement` for `replacement` set on lowercase/uppercase/keepequal/dropequal,
    ///     or a `labelmap` replacement that cannot produce a label name;
    ///   - `.unexpectedField` for keepequal/dropequal with regex, modulus, separator or
    ///     replacement, and labeldrop/labelkeep with anything but regex.
    public init(
        sourceLabels: [String] = [],
        separator: String = Defaults.separator,
        regex: String = Defaults.regex,
        modulus: UInt64 = 0,
        targetLabel: String = "",
        replacement: String = Defaults.replacement,
        action: String = Defaults.action
    ) throws(RelabelError) {
        let act = try RelabelAction(parsing: action)
        for name in sourceLabels where !LabelName.isValid(name) {
            throw RelabelError(.invalidSourceLabel, "\(GoString.quote(name)) is not a valid label name")
        }
        let re = try Regex(regex)
        try Self.validate(
            action: act, sourceLabels: sourceLabels, separator: separator, regex: regex, modulus: modulus,
            targetLabel: targetLabel, replacement: replacement)
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.regex = re
        self.modulus = modulus
        self.targetLabel = targetLabel
        self.replacement = replacement
        self.action = act
        targetTemplate = Template(targetLabel, regex: re)
        replacementTemplate = Template(replacement, regex: re)
    }

    /// `relabel.Config.Validate` on a rule's fields, without compiling it: the config loader
    /// calls it to report a rule's error at the rule's place in the file (the one copy of
    /// these checks and messages). Source-label names and the regex are checked by `init`.
    /// - Throws: `RelabelError` as `init` does for the action and the field combinations.
    public static func validate(
        action: String, sourceLabels: [String] = [], separator: String = Defaults.separator,
        regex: String = Defaults.regex, modulus: UInt64 = 0, targetLabel: String = "",
        replacement: String = Defaults.replacement
    ) throws(RelabelError) {
        try validate(
            action: try RelabelAction(parsing: action), sourceLabels: sourceLabels, separator: separator, regex: regex,
            modulus: modulus, targetLabel: targetLabel, replacement: replacement)
    }

    /// `relabel.Config.Validate`, in the same order, with the same messages.
    private static func validate(
        action: RelabelAction, sourceLabels: [String], separator: String, regex: String, modulus: UInt64,
        targetLabel: String, replacement: String
    ) throws(RelabelError) {
        let a = action.rawValue
        if modulus == 0 && action == .hashMod {
            throw RelabelError(.zeroModulus, "relabel configuration for hashmod requires non-zero modulus")
        }
        let writesTarget: Set<RelabelAction> = [.replace, .hashMod, .lowercase, .uppercase, .keepEqual, .dropEqual]
        if writesTarget.contains(action) && targetLabel.isEmpty {
            throw RelabelError(
                .missingTargetLabel, "relabel configuration for \(a) action requires 'target_label' value")
        }
        let invalidTarget = RelabelError(
            .invalidTargetLabel, "\(GoString.quote(targetLabel)) is invalid 'target_label' for \(a) action")
        let templated = targetLabel.utf8.contains(UInt8(ascii: "$"))
        if action == .replace && !templated && !LabelName.isValid(targetLabel) { throw invalidTarget }
        if action == .replace && templated && !LabelName.isValidTemplated(targetLabel) { throw invalidTarget }
        let simple: Set<RelabelAction> = [.lowercase, .uppercase, .keepEqual, .dropEqual]
        if simple.contains(action) && !LabelName.isValid(targetLabel) { throw invalidTarget }
        if simple.contains(action) && replacement != Defaults.replacement {
            throw RelabelError(.invalidReplacement, "'replacement' can not be set for \(a) action")
        }
        if action == .labelMap && !LabelName.isValidTemplated(replacement) {
            throw RelabelError(
                .invalidReplacement, "\(GoString.quote(replacement)) is invalid 'replacement' for \(a) action")
        }
        if action == .hashMod && !LabelName.isValid(targetLabel) { throw invalidTarget }
        if action == .keepEqual || action == .dropEqual {
            // Prometheus compares the regex by identity with the default, so an explicit
            // `regex: (.*)` is refused there; the caller cannot tell us that, so compare text.
            if regex != Defaults.regex || modulus != 0 || separator != Defaults.separator
                || replacement != Defaults.replacement
            {
                throw RelabelError(
                    .unexpectedField,
                    "\(a) action requires only 'source_labels' and `target_label`, and no other fields")
            }
        }
        if action == .labelDrop || action == .labelKeep {
            if !sourceLabels.isEmpty || !targetLabel.isEmpty || modulus != 0 || separator != Defaults.separator
                || replacement != Defaults.replacement
            {
                throw RelabelError(.unexpectedField, "\(a) action requires only 'regex', and no other fields")
            }
        }
    }
}
