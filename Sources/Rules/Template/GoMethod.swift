/// Methods templates may call on the values of `toTime` (`*time.Time`) and `toDuration`
/// (`time.Duration`), e.g. `{{ (toTime 1e9).Format "2006-01-02" }}`.
struct GoMethod {
    /// Number of arguments.
    let arity: Int
    /// Type of every argument (only `Format` takes one: a string).
    let parameter: ParamType
    let call: ([TemplateValue]) throws(FunctionFailure) -> TemplateValue

    init?(receiver: TemplateValue, name: String) {
        switch receiver {
        case .time(let t): self.init(time: t, name: name)
        case .duration(let d): self.init(duration: d, name: name)
        default: return nil
        }
    }

    private init(arity: Int = 0, _ call: @escaping ([TemplateValue]) throws(FunctionFailure) -> TemplateValue) {
        self.arity = arity
        parameter = .string
        self.call = call
    }

    private init?(time t: GoTime, name: String) {
        let c = t.civil
        switch name {
        case "Format":
            self.init(arity: 1) { args throws(FunctionFailure) in
                guard case .string(let layout) = args[0] else {
                    throw .message("wrong type for value; expected string; got \(args[0].goTypeName)")
                }
                return .string(goTimeFormat(t, layout))
            }
        case "String": self.init { _ in .string(goTimeString(t)) }
        case "UTC", "Local": self.init { _ in .time(t) }
        case "Unix": self.init { _ in .int(Int(t.seconds)) }
        case "UnixMilli": self.init { _ in .int(Int(t.seconds * 1000 + t.nanoseconds / 1_000_000)) }
        case "UnixMicro": self.init { _ in .int(Int(t.seconds * 1_000_000 + t.nanoseconds / 1000)) }
        case "UnixNano": self.init { _ in .int(Int(t.seconds &* 1_000_000_000 &+ t.nanoseconds)) }
        case "Year": self.init { _ in .int(Int(c.year)) }
        case "Month": self.init { _ in .string(goTimeFormat(t, "January")) }
        case "Day": self.init { _ in .int(c.day) }
        case "Weekday": self.init { _ in .string(goTimeFormat(t, "Monday")) }
        case "YearDay": self.init { _ in .int(c.yearDay) }
        case "Hour": self.init { _ in .int(c.hour) }
        case "Minute": self.init { _ in .int(c.minute) }
        case "Second": self.init { _ in .int(c.second) }
        case "Nanosecond": self.init { _ in .int(Int(t.nanoseconds)) }
        default: return nil
        }
    }

    private init?(duration d: Int64, name: String) {
        switch name {
        case "String": self.init { _ in .string(goDurationString(d)) }
        case "Seconds": self.init { _ in .float(Double(d / 1_000_000_000) + Double(d % 1_000_000_000) / 1e9) }
        case "Minutes": self.init { _ in .float(Double(d / 60_000_000_000) + Double(d % 60_000_000_000) / 6e10) }
        case "Hours": self.init { _ in .float(Double(d / 3_600_000_000_000) + Double(d % 3_600_000_000_000) / 3.6e12) }
        case "Milliseconds": self.init { _ in .int(Int(d / 1_000_000)) }
        case "Microseconds": self.init { _ in .int(Int(d / 1000)) }
        case "Nanoseconds": self.init { _ in .int(Int(d)) }
        case "Abs": self.init { _ in .duration(d == Int64.min ? Int64.max : abs(d)) }
        default: return nil
        }
    }
}
