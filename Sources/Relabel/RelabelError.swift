/// A relabel configuration or input that cannot be used, with Prometheus's wording.
///
/// The message is safe to show to users and to put in logs; `kind` lets callers (and tests)
/// tell failures apart without matching on text.
public struct RelabelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// `action:` is empty or not one of the 11 actions.
        case unknownAction
        /// A `source_labels` entry is not a valid label name.
        case invalidSourceLabel
        /// `regex:` does not compile with RE2.
        case invalidRegex
        /// `modulus: 0` with `action: hashmod`.
        case zeroModulus
        /// The action needs `target_label` and none was given.
        case missingTargetLabel
        /// `target_label` is not a valid (or templatable) label name for the action.
        case invalidTargetLabel
        /// `replacement` is set where the action forbids it, or is invalid for `labelmap`.
        case invalidReplacement
        /// A field was set that the action does not take (`keepequal`, `labeldrop`, …).
        case unexpectedField
        /// A label set given as text (`parseLabelSet`) is malformed.
        case invalidLabelSet
    }

    public let kind: Kind
    /// Human-readable message, in Prometheus's words where Prometheus has a message.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
