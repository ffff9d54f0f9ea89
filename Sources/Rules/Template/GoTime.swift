import PromModel

// Go's time.Time (UTC only) and time.Duration as templates print them: `Time.String`,
// `Time.Format` with Go layouts, `Duration.String`. See https://pkg.go.dev/time.

/// An instant in UTC: seconds since the epoch and nanoseconds in [0, 1e9).
struct GoTime: Sendable, Equatable {
    var seconds: Int64
    var nanoseconds: Int64

    /// Go's `time.Unix(sec, nsec)`, normalising `nsec` into [0, 1e9).
    init(seconds: Int64, nanoseconds: Int64) {
        var s = seconds + nanoseconds / 1_000_000_000
        var n = nanoseconds % 1_000_000_000
        if n < 0 {
            s -= 1
            n += 1_000_000_000
        }
        self.seconds = s
        self.nanoseconds = n
    }

    /// Civil date and time (proleptic Gregorian, UTC).
    var civil: (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int, yearDay: Int) {
        let c = CivilTime(unixSeconds: seconds)
        let (year, month, day, weekday) = (c.year, c.month, c.day, c.weekday)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        let yearDay = cumulative[month - 1] + day + (leap && month > 2 ? 1 : 0)
        return (year, month, day, c.hour, c.minute, c.second, weekday, yearDay)
    }
}

private let monthNames = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]
private let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

/// Go's `Time.String()` in UTC: `2015-06-23 13:19:44.128 +0000 UTC`.
func goTimeString(_ t: GoTime) -> String {
    goTimeFormat(t, "2006-01-02 15:04:05.999999999 -0700 MST")
}

private func zeroPad(_ v: Int64, _ width: Int) -> String {
    let s = String(abs(v))
    return (v < 0 ? "-" : "") + String(repeating: "0", count: max(width - s.count, 0)) + s
}

/// Go's `Time.Format(layout)` for a UTC time. Layout elements: `2006 06 January Jan 1 01
/// Monday Mon 2 _2 02 __2 002 15 3 03 4 04 5 05 PM pm MST Z07:00 Z0700 Z07 -07:00 -0700 -07`
/// and fractional seconds `.000` / `.999` (or with `,`).
func goTimeFormat(_ t: GoTime, _ layout: String) -> String {
    let c = t.civil
    let l = Array(layout.utf8)
    var out = ""
    var i = 0
    func has(_ s: String) -> Bool {
        let p = Array(s.utf8)
        return i + p.count <= l.count && Array(l[i..<(i + p.count)]) == p
    }
    while i < l.count {
        // Longest elements first where prefixes overlap.
        let elements: [(String, () -> String)] = [
            ("January", { monthNames[c.month - 1] }),
            ("Jan", { String(monthNames[c.month - 1].prefix(3)) }),
            ("Monday", { dayNames[c.weekday] }),
            ("Mon", { String(dayNames[c.weekday].prefix(3)) }),
            ("MST", { "UTC" }),
            ("2006", { zeroPad(c.year, 4) }),
            ("2", { String(c.day) }),
            ("_2", { c.day < 10 ? " " + String(c.day) : String(c.day) }),
            ("__2", { String(repeating: " ", count: 3 - String(c.yearDay).count) + String(c.yearDay) }),
            ("002", { zeroPad(Int64(c.yearDay), 3) }),
            ("01", { zeroPad(Int64(c.month), 2) }),
            ("02", { zeroPad(Int64(c.day), 2) }),
            ("03", { zeroPad(Int64(c.hour % 12 == 0 ? 12 : c.hour % 12), 2) }),
            ("04", { zeroPad(Int64(c.minute), 2) }),
            ("05", { zeroPad(Int64(c.second), 2) }),
            ("06", { zeroPad(c.year % 100, 2) }),
            ("1", { String(c.month) }),
            ("15", { zeroPad(Int64(c.hour), 2) }),
            ("3", { String(c.hour % 12 == 0 ? 12 : c.hour % 12) }),
            ("4", { String(c.minute) }),
            ("5", { String(c.second) }),
            ("PM", { c.hour >= 12 ? "PM" : "AM" }),
            ("pm", { c.hour >= 12 ? "pm" : "am" }),
            ("Z07:00:00", { "Z" }), ("Z070000", { "Z" }), ("Z07:00", { "Z" }), ("Z0700", { "Z" }), ("Z07", { "Z" }),
            ("-07:00:00", { "+00:00:00" }), ("-070000", { "+000000" }), ("-07:00", { "+00:00" }),
            ("-0700", { "+0000" }), ("-07", { "+00" }),
        ]
        // Fractional seconds: .0… / .9… (also with a comma) right after a seconds field.
        if (l[i] == UInt8(ascii: ".") || l[i] == UInt8(ascii: ",")), i + 1 < l.count,
            l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9")
        {
            let digit = l[i + 1]
            var j = i + 1
            while j < l.count && l[j] == digit { j += 1 }
            if j >= l.count || !(l[j] >= 0x30 && l[j] <= 0x39) {
                let n = j - i - 1
                var frac = zeroPad(t.nanoseconds, 9)
                frac = String(frac.prefix(n))
                if digit == UInt8(ascii: "9") {
                    while frac.hasSuffix("0") { frac.removeLast() }
                    if !frac.isEmpty { out += String(UnicodeScalar(l[i])) + frac }
                } else {
                    out += String(UnicodeScalar(l[i])) + frac
                }
                i = j
                continue
            }
        }
        var matched = false
        var best: (String, () -> String)?
        for e in elements where has(e.0) {
            if best == nil || e.0.utf8.count > best!.0.utf8.count { best = e }
        }
        if let best {
            // "Jan" must not eat "January", "2" must not split "2006": the longest match wins.
            out += best.1()
            i += best.0.utf8.count
            matched = true
        }
        if !matched {
            out.unicodeScalars.append(UnicodeScalar(l[i]))
            i += 1
        }
    }
    return out
}

/// Go's `Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
func goDurationString(_ d: Int64) -> String {
    if d == 0 { return "0s" }
    let negative = d < 0
    var u = d == Int64.min ? UInt64(Int64.max) + 1 : UInt64(abs(d))
    var out: String
    if u < 1_000_000_000 {
        let (precision, unit): (Int, String) =
            u < 1000 ? (0, "ns") : u < 1_000_000 ? (3, "µs") : (6, "ms")
        let (frac, rest) = fractionString(u, precision)
        out = String(rest) + frac + unit
    } else {
        let (frac, seconds) = fractionString(u, 9)
        u = seconds
        out = String(u % 60) + frac + "s"
        u /= 60
        if u > 0 {
            out = String(u % 60) + "m" + out
            u /= 60
            if u > 0 { out = String(u) + "h" + out }
        }
    }
    return negative ? "-" + out : out
}

/// Go's `fmtFrac`: `.ddd` of `v / 10^precision` without trailing zeros (and no point when
/// zero), and the integer part.
private func fractionString(_ v: UInt64, _ precision: Int) -> (String, UInt64) {
    var v = v
    var digits: [Character] = []
    var printed = false
    for _ in 0..<precision {
        let digit = v % 10
        printed = printed || digit != 0
        if printed { digits.append(Character(String(digit))) }
        v /= 10
    }
    return (printed ? "." + String(digits.reversed()) : "", v)
}
