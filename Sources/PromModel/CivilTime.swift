/// A Unix time as a UTC civil date and time (proleptic Gregorian calendar), by Howard
/// Hinnant's `civil_from_days`; exact for every `Int64` second a caller formats (years
/// before 1970 included). One place for the log timestamps, the `Date` header and the
/// templates' Go time.
public struct CivilTime: Equatable, Sendable {
    public var year: Int64
    /// 1–12.
    public var month: Int
    /// 1–31.
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int

    /// The civil time of `seconds` since 1970-01-01T00:00:00Z.
    public init(unixSeconds seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secOfDay = Int(seconds - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
        hour = secOfDay / 3600
        minute = secOfDay % 3600 / 60
        second = secOfDay % 60
    }
}
