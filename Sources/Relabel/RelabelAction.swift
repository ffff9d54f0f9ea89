/// The 11 relabel actions, spelled as in YAML.
///
/// See https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
public enum RelabelAction: String, Sendable, CaseIterable {
    /// Writes the expanded `replacement` to the expanded `target_label` when `regex` matches.
    case replace
    /// Drops the label set unless `regex` matches the joined source values.
    case keep
    /// Drops the label set when `regex` matches the joined source values.
    case drop
    /// Drops the label set unless the joined source values equal `target_label`'s value.
    case keepEqual = "keepequal"
    /// Drops the label set when the joined source values equal `target_label`'s value.
    case dropEqual = "dropequal"
    /// Sets `target_label` to md5(joined source values) mod `modulus`.
    case hashMod = "hashmod"
    /// Copies each label whose name matches `regex` to the name `replacement` expands to.
    case labelMap = "labelmap"
    /// Removes every label whose name matches `regex`.
    case labelDrop = "labeldrop"
    /// Removes every label whose name does not match `regex`.
    case labelKeep = "labelkeep"
    /// Sets `target_label` to the joined source values in lower case.
    case lowercase
    /// Sets `target_label` to the joined source values in upper case.
    case uppercase

    /// Parses an action as Prometheus does: case-insensitively.
    /// - Throws: `.unknownAction` ("relabel action cannot be empty", "unknown relabel action \"x\"").
    public init(parsing text: String) throws(RelabelError) {
        guard !text.isEmpty else { throw RelabelError(.unknownAction, "relabel action cannot be empty") }
        guard let a = RelabelAction(rawValue: GoString.lowercased(text)) else {
            throw RelabelError(.unknownAction, "unknown relabel action \(GoString.quote(text))")
        }
        self = a
    }
}
