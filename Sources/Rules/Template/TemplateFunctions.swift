import Relabel

/// Every function a template may call: Go's builtins and Prometheus's function map
/// (prometheus/template/template.go). Any other name is a parse error.
enum TemplateFunction: String, Sendable, CaseIterable {
    // Go's text/template builtins.
    case and, or, not, len, index, slice, print, printf, println, call
    case eq, ne, lt, le, gt, ge
    case html, js, urlquery
    // Prometheus.
    case query, first, label, value, strvalue, args, sortByLabel
    case reReplaceAll, match, safeHtml, title, toUpper, toLower, graphLink, tableLink, stripPort, stripDomain
    case humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp
    case toTime, toDuration, parseDuration, now, pathPrefix, externalURL

    var signature: Signature {
        switch self {
        case .and, .or, .index, .slice: return Signature(.reflectValue, variadic: .reflectValue)
        case .not, .len: return Signature(.reflectValue)
        case .call: return Signature(.reflectValue, variadic: .reflectValue)
        case .eq: return Signature(.reflectValue, variadic: .reflectValue)
        case .ne, .lt, .le, .gt, .ge: return Signature(.reflectValue, .reflectValue)
        case .print, .println, .html, .js, .urlquery, .args: return Signature(variadic: .any)
        case .printf: return Signature(.string, variadic: .any)
        case .query, .safeHtml, .title, .toUpper, .toLower, .graphLink, .tableLink, .stripPort, .stripDomain,
            .parseDuration:
            return Signature(.string)
        case .first: return Signature(.samples)
        case .label: return Signature(.string, .sample)
        case .value, .strvalue: return Signature(.sample)
        case .sortByLabel: return Signature(.string, .samples)
        case .reReplaceAll: return Signature(.string, .string, .string)
        case .match: return Signature(.string, .string)
        case .humanize, .humanize1024, .humanizeDuration, .humanizePercentage, .humanizeTimestamp, .toTime,
            .toDuration:
            return Signature(.any)
        case .now, .pathPrefix, .externalURL: return Signature()
        }
    }
}

extension TemplateExecutor {
    /// Calls `function` with arguments already checked against its signature.
    func callFunction(_ function: TemplateFunction, _ a: [TemplateValue]) throws(FunctionFailure) -> TemplateValue {
        switch function {
        case .and, .or: return a.last ?? .missing  // handled lazily by `call`
        case .not: return .bool(!a[0].isTrue)
        case .len: return try goLen(a[0])
        case .index: return try goIndex(a[0], Array(a.dropFirst()))
        case .slice: return try goSlice(a[0], Array(a.dropFirst()))
        case .print: return .string(GoFormatter.sprint(a))
        case .println: return .string(GoFormatter.sprintln(a))
        case .printf: return .string(GoFormatter.sprintf(a[0].stringValue, Array(a.dropFirst())))
        case .call:
            if a[0].isNil { throw .message("call of nil") }
            throw .message("non-function of type \(a[0].goTypeName)")
        case .eq: return .bool(try goEq(a[0], Array(a.dropFirst())))
        case .ne: return .bool(!(try goEq(a[0], [a[1]])))
        case .lt: return .bool(try goLt(a[0], a[1]))
        case .le:
            if try goLt(a[0], a[1]) { return .bool(true) }
            return .bool(try goEq(a[0], [a[1]]))
        case .gt:
            if try goLt(a[0], a[1]) { return .bool(false) }
            return .bool(!(try goEq(a[0], [a[1]])))
        case .ge: return .bool(!(try goLt(a[0], a[1])))
        case .html: return .string(goHTMLEscape(goEvalArgs(a)))
        case .js: return .string(goJSEscape(goEvalArgs(a)))
        case .urlquery: return .string(goQueryEscape(goEvalArgs(a)))
        case .query:
            let q = a[0].stringValue
            switch queries[q] {
            case .samples(let samples)?: return .samples(samples)
            case .failed(let message)?: throw .message(message)
            case nil: throw .needQuery(q)
            }
        case .first:
            guard case .samples(let samples) = a[0], let first = samples.first else {
                throw .message("first() called on vector with no elements")
            }
            return .sample(first)
        case .label:
            guard case .sample(let s) = a[1] else { throw nilDereference }
            return .string(s.labels[a[0].stringValue] ?? "")
        case .value:
            guard case .sample(let s) = a[0] else { throw nilDereference }
            return .float(s.value)
        case .strvalue:
            guard case .sample(let s) = a[0] else { throw nilDereference }
            return .string(s.labels["__value__"] ?? "")
        case .args:
            var m: [String: TemplateValue] = [:]
            for (i, v) in a.enumerated() { m["arg\(i)"] = v }
            return .map(m)
        case .sortByLabel:
            guard case .samples(let samples) = a[1] else { return a[1] }
            let name = a[0].stringValue
            // Stable: equal labels keep their order.
            let sorted = samples.enumerated().sorted {
                let l = $0.element.labels[name] ?? "", r = $1.element.labels[name] ?? ""
                return l != r ? l.utf8.lexicographicallyPrecedes(r.utf8) : $0.offset < $1.offset
            }
            return .samples(sorted.map(\.element))
        case .reReplaceAll:
            let pattern = a[0].stringValue
            do {
                return .string(try SearchRegex(pattern).replaceAll(in: a[2].stringValue, with: a[1].stringValue))
            } catch {
                // regexp.MustCompile panics; text/template reports the panic as the call's error.
                throw .message("regexp: Compile(\(goRegexpQuote(pattern))): \(error.message)")
            }
        case .match:
            do {
                return .bool(try SearchRegex(a[0].stringValue).containsMatch(a[1].stringValue))
            } catch {
                throw .message(error.message)
            }
        case .safeHtml: return .html(a[0].stringValue)
        case .title: return .string(goTitle(a[0].stringValue))
        case .toUpper: return .string(goSimpleCase(a[0].stringValue, upper: true))
        case .toLower: return .string(goSimpleCase(a[0].stringValue, upper: false))
        case .graphLink: return .string("/graph?g0.expr=\(goQueryEscape(a[0].stringValue))&g0.tab=0")
        case .tableLink: return .string("/graph?g0.expr=\(goQueryEscape(a[0].stringValue))&g0.tab=1")
        case .stripPort: return .string(stripPort(a[0].stringValue))
        case .stripDomain: return .string(stripDomain(a[0].stringValue))
        case .humanize: return .string(humanize(try convertToFloat(a[0])))
        case .humanize1024: return .string(humanize1024(try convertToFloat(a[0])))
        case .humanizeDuration: return .string(humanizeDuration(try convertToFloat(a[0])))
        case .humanizePercentage:
            return .string(goFormatFloat(try convertToFloat(a[0]) * 100, UInt8(ascii: "g"), 4) + "%")
        case .humanizeTimestamp:
            let v = try convertToFloat(a[0])
            if !v.isFinite { return .string(goFormatFloat(v, UInt8(ascii: "g"), 4)) }
            return .string(goTimeString(try floatToTime(v)))
        case .toTime:
            return .time(try floatToTime(try convertToFloat(a[0])))
        case .toDuration:
            let v = try convertToFloat(a[0])
            if !v.isFinite { throw .message("value is NaN or Inf") }
            let ns = v * 1e9
            if ns >= 9.223_372_036_854_775_807e18 || ns < -9.223_372_036_854_775_808e18 {
                throw .message(
                    "\(goFormatFloat(v, UInt8(ascii: "g"), -1)) cannot be represented as a nanoseconds duration since it overflows int64"
                )
            }
            return .duration(Int64(ns))
        case .parseDuration:
            return .float(try parseDurationSeconds(a[0].stringValue))
        case .now:
            return .float(now)
        case .pathPrefix:
            return .string(urlPath(externalURL))
        case .externalURL:
            return .string(externalURL)
        }
    }
}

/// What Go reports when a function dereferences a nil `*sample`.
let nilDereference = FunctionFailure.message("runtime error: invalid memory address or nil pointer dereference")

extension TemplateValue {
    /// The string of a value checked to be a `string`.
    var stringValue: String {
        switch self {
        case .string(let s), .html(let s): return s
        default: return ""
        }
    }
}

extension RelabelError {
    var message: String { description }
}

/// Go's `regexp` quoting in `MustCompile` panics: backquoted when possible.
private func goRegexpQuote(_ s: String) -> String {
    if !s.contains("`"), s.unicodeScalars.allSatisfy({ $0 == "\t" || (isGoPrintable($0) && $0 != "\u{FEFF}") }) {
        return "`" + s + "`"
    }
    return goQuote(s)
}

/// `parseDuration`: a Prometheus duration (`1h30m`, `90s`, `0`), optionally negative, in
/// seconds.
func parseDurationSeconds(_ text: String) throws(FunctionFailure) -> Double {
    let negative = text.hasPrefix("-")
    let body = negative ? String(text.dropFirst()) : text
    guard let d = parsePrometheusDurationMilliseconds(body) else {
        throw .message("not a valid duration string: \(goQuote(text))")
    }
    return Double(negative ? -d : d) / 1000
}

/// The path of a URL (`http://host:9090/prefix?x` → `/prefix`), as Go's `URL.Path`.
func urlPath(_ url: String) -> String {
    var rest = Substring(url)
    if let scheme = rest.range(of: "://") {
        rest = rest[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        rest = rest[slash...]
    }
    if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
    return goPathUnescape(String(rest))
}
