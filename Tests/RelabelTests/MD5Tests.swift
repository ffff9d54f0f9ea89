import Testing

@testable import Relabel

/// RFC 1321 appendix A.5 test suite, plus padding boundaries (55/56/63/64/65/119/120 bytes)
/// and non-ASCII input, checked against Python's hashlib.
@Test(arguments: [
    ("", "d41d8cd98f00b204e9800998ecf8427e"),
    ("a", "0cc175b9c0f1b6a831c399e269772661"),
    ("abc", "900150983cd24fb0d6963f7d28e17f72"),
    ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
    ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
    (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    (String(repeating: "a", count: 55), "ef1772b6dff9a122358552954ad0df65"),
    (String(repeating: "a", count: 56), "3b0c8ac703f828b04c6c197006d17218"),
    (String(repeating: "a", count: 63), "b06521f39153d618550606be297466d5"),
    (String(repeating: "a", count: 64), "014842d480b571495a4a0363793f7367"),
    (String(repeating: "a", count: 65), "c743a45e0d2e6a95cb859adae0248435"),
    (String(repeating: "a", count: 119), "8a7bd0732ed6a28ce75f6dabc90e1613"),
    (String(repeating: "a", count: 120), "5f61c0ccad4cac44c75ff505e1f1e537"),
    ("ü", "c03410a5204b21cd8229ff754688d743"),
    ("foo\nbar", "a76999788386641a3ec798554f1fe7e6"),
])
func md5KnownVectors(input: String, hex: String) {
    #expect(MD5.hex(input.utf8) == hex)
}

/// hashmod values: upstream TestRelabel ("baz" mod 1000 = 976, "foo\nbar" mod 1000 = 734) and
/// the hashmod-md5-shard corpus case (vectors listed there).
@Test(arguments: [
    ("baz", UInt64(1000), UInt64(976)),
    ("foo\nbar", 1000, 734),
    ("192.0.2.10:9100", 3, 2),
    ("192.0.2.11:9100", 3, 2),
    ("192.0.2.12:9100", 3, 1),
    ("192.0.2.13:9100", 3, 0),
    ("app-a;prod", 4, 1),
    ("app-a;", 4, 3),
    (";", 4, 1),
    ("", 3, 1),
])
func hashModVectors(value: String, modulus: UInt64, expected: UInt64) {
    #expect(RelabelRule.hashMod(value, modulus) == expected)
}
