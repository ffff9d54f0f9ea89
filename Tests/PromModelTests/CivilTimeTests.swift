import PromModel
import Testing

/// Unix seconds to a UTC civil date and time, the one conversion behind log timestamps, the
/// web server's `Date` header and the templates' Go time.
@Suite struct CivilTimeTests {
    @Test(arguments: [
        (Int64(0), CivilTime.expect(1970, 1, 1, 0, 0, 0, weekday: 4)),
        (784_111_777, .expect(1994, 11, 6, 8, 49, 37, weekday: 0)),  // RFC 9110's example
        (951_868_799, .expect(2000, 2, 29, 23, 59, 59, weekday: 2)),  // a leap day of a /400 year
        (4_107_542_400, .expect(2100, 3, 1, 0, 0, 0, weekday: 1)),  // 2100 is no leap year
        (-1, .expect(1969, 12, 31, 23, 59, 59, weekday: 3)),
        (-62_135_596_800, .expect(1, 1, 1, 0, 0, 0, weekday: 1)),  // 0001-01-01, Go's zero time
    ])
    func convertsUnixSeconds(_ seconds: Int64, _ expected: CivilTime) {
        #expect(CivilTime(unixSeconds: seconds) == expected)
    }
}

extension CivilTime {
    static func expect(
        _ year: Int64, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, weekday: Int
    ) -> CivilTime {
        var c = CivilTime(unixSeconds: 0)
        (c.year, c.month, c.day, c.hour, c.minute, c.second, c.weekday) = (
            year, month, day, hour, minute, second, weekday
        )
        return c
    }
}
