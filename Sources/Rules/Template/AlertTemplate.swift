// Prometheus's alert template language: Go's text/template with the function map of
// prometheus/template/template.go, as used for alerting-rule `labels` and `annotations`.
//
// See https://pkg.go.dev/text/template and
// https://prometheus.io/docs/prometheus/latest/configuration/template_reference/.

/// One alert label or annotation template, parsed once and expanded per alert.
///
/// Expansion behaves as Prometheus's rule manager does: the text is read as if it were
/// prefixed with `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}`
/// `{{$externalURL := .ExternalURL}}{{$value := .Value}}`, with `missingkey=zero`
/// (a missing label prints as the empty string). Line numbers in errors count lines of the
/// text as given; columns are 0-based byte offsets in that line, as Go's.
public struct AlertTemplate: Sendable {
    let program: TemplateProgram

    /// The template's name, used in error messages.
    public var name: String { program.name }

    /// Parses `text` once.
    /// - Parameters:
    ///   - text: the template, e.g. `{{ $labels.instance }} is down`.
    ///   - name: the name errors carry (`template: NAME:LINE: message`).
    /// - Throws: `TemplateError` for syntax errors (unclosed action, unexpected `{{end}}`,
    ///   missing `{{end}}`, undefined variable) and for calls of functions that do not exist
    ///   (`function "foo" not defined`, as Go's parser checks names at parse time).
    public init(_ text: String, name: String) throws(TemplateError) {
        program = try TemplateParser.parse(text, name: name)
    }

    /// Expands the template for one alert.
    /// - Parameters:
    ///   - data: the alert's labels, the external labels and URL, and the alert's value.
    ///   - environment: runs `query`, gives `now`, `externalURL` and `pathPrefix`.
    /// - Returns: the expanded text.
    /// - Throws: `TemplateError` when execution fails (`first` of an empty result, `index`
    ///   out of range, a wrong argument type, a query that failed), in Go's form
    ///   `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
    public func expand(_ data: TemplateData, environment: TemplateEnvironment) async throws(TemplateError) -> String {
        // The executor is synchronous. A `query` whose result is not known yet stops it; the
        // query runs here and execution starts again with the result cached (templates have
        // no side effects, so a rerun prints the same text up to that point).
        var queries: [String: QueryOutcome] = [:]
        let now = program.usesNow ? environment.now() : 0
        while true {
            var executor = TemplateExecutor(
                program: program, data: data, queries: queries, now: now, externalURL: environment.externalURL)
            let pending: String
            do {
                return try executor.run()
            } catch {
                switch error {
                case .failed(let failure): throw failure
                case .needQuery(let query): pending = query
                }
            }
            do {
                queries[pending] = .samples(try await environment.query(pending))
            } catch {
                queries[pending] = .failed(String(describing: error))
            }
        }
    }
}

/// What a template is expanded with: Prometheus's `AlertTemplateData`.
public struct TemplateData: Sendable, Equatable {
    /// The alert's labels (`.Labels`, `$labels`).
    public var labels: [String: String]
    /// The configured external labels (`.ExternalLabels`, `$externalLabels`).
    public var externalLabels: [String: String]
    /// The configured external URL (`.ExternalURL`, `$externalURL`).
    public var externalURL: String
    /// The alert's value (`.Value`, `$value`).
    public var value: Double

    public init(
        labels: [String: String] = [:], externalLabels: [String: String] = [:], externalURL: String = "",
        value: Double = 0
    ) {
        self.labels = labels
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        self.value = value
    }
}

/// The outside world a template may reach.
public struct TemplateEnvironment: Sendable {
    /// Runs a PromQL instant query for `query` at the evaluation time and returns the result
    /// as samples (a vector; a scalar as one sample with no labels). Throwing makes expansion
    /// fail with `error calling query: ` and the error's description.
    public var query: @Sendable (String) async throws -> [TemplateSample]
    /// The external URL, for `externalURL` and `pathPrefix` (its path).
    public var externalURL: String
    /// The evaluation time in seconds since the epoch, for `now`.
    public var now: @Sendable () -> Double

    public init(
        query: @escaping @Sendable (String) async throws -> [TemplateSample] = { _ in [] },
        externalURL: String = "",
        now: @escaping @Sendable () -> Double = { 0 }
    ) {
        self.query = query
        self.externalURL = externalURL
        self.now = now
    }
}

/// One sample of a query result: Prometheus's template `sample` (`.Labels`, `.Value`).
public struct TemplateSample: Sendable, Equatable {
    /// Label name → value, the metric name under `__name__`.
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String] = [:], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// A template that does not parse or fails to execute.
public struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The template's name.
    public var name: String
    /// The template executing when an execution error happened: `name`, or the name of a
    /// `{{define}}`d template.
    public var executing: String
    /// 1-based line in the template text.
    public var line: Int
    /// 0-based byte offset in the line of the node that failed (execution errors only).
    public var column: Int?
    /// The node that failed, as Go prints it (`first`, `humanize "one"`), for execution
    /// errors.
    public var context: String?
    /// What went wrong: `unexpected {{end}}`, `error calling first: first() called on
    /// vector with no elements`.
    public var message: String

    public init(
        name: String, executing: String? = nil, line: Int, column: Int? = nil, context: String? = nil, message: String
    ) {
        self.name = name
        self.executing = executing ?? name
        self.line = line
        self.column = column
        self.context = context
        self.message = message
    }

    /// Go's text: `template: NAME:LINE: MESSAGE` for parse errors, and
    /// `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE` for execution errors.
    public var description: String {
        guard let column else { return "template: \(name):\(line): \(message)" }
        return "template: \(name):\(line):\(column): executing \(goQuote(executing)) at <\(context ?? "")>: \(message)"
    }
}

/// The result of one `query` call, kept across reruns of the executor.
enum QueryOutcome: Sendable {
    case samples([TemplateSample])
    case failed(String)
}
