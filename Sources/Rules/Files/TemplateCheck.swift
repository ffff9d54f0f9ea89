/// The parse error of a label or annotation template, as Go's `text/template` words it
/// (`template: __alert_NAME:LINE: function "foo" not defined`); nil when it parses.
func templateProblem(_ text: String, name: String) -> String? {
    do {
        _ = try AlertTemplate(text, name: name)
        return nil
    } catch {
        return error.description
    }
}
