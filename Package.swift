// swift-tools-version:6.1
import PackageDescription

// `make` passes the git revision and build date (Makefile: REVISION, BUILD_DATE) through the
// environment; only CBuildInfo is compiled with them, so a new commit recompiles one C file.
let buildInfoDefines: [CSetting] = ["PROMSLS_REVISION", "PROMSLS_BUILD_DATE"].compactMap { key in
    Context.environment[key].map { CSetting.define(key, to: "\"\($0)\"") }
}

let package = Package(
    name: "promsls",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "promsls", targets: ["promsls"]),
        .executable(name: "promsls-bench", targets: ["promsls-bench"]),
        .executable(name: "promsls-fuzz-text", targets: ["promsls-fuzz-text"]),
        .executable(name: "promsls-fuzz-om", targets: ["promsls-fuzz-om"]),
        .executable(name: "promsls-fuzz-wal", targets: ["promsls-fuzz-wal"]),
        .executable(name: "promsls-fuzz-config", targets: ["promsls-fuzz-config"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // One trait only: SwiftPM 6.3 orders a package's trait defines (-DConfigurationSupport
        // -DFullFoundation, the default pair) differently each time it plans a build, and then
        // recompiles every Hummingbird module. We do not use swift-configuration.
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Data model shared by every stage: labels, samples, metadata, the Appender protocol.
        .target(name: "PromModel"),
        // Exposition format parsers (text 0.0.4, OpenMetrics 1.0) over raw bytes.
        .target(name: "Exposition", dependencies: ["PromModel"]),
        // C shim over Debian's libre2 (RE2 syntax, as Prometheus relabel regexes).
        .target(
            name: "CRE2",
            cxxSettings: [.unsafeFlags(["-w"])],
            linkerSettings: [.linkedLibrary("re2")]
        ),
        // libsnappy (block format) for remote write.
        .systemLibrary(
            name: "CSnappy",
            pkgConfig: "snappy",
            providers: [.apt(["libsnappy-dev"])]
        ),
        .target(name: "Relabel", dependencies: ["PromModel", "CRE2"]),
        // The configured HTTP client (TLS, auth, OAuth2, proxies, redirects, http_headers) of
        // scraping, remote write and http_sd.
        .target(
            name: "HTTPClientSupport",
            dependencies: [
                "AgentConfig",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "AgentConfig",
            dependencies: ["PromModel", "Relabel", .product(name: "Yams", package: "Yams")]
        ),
        // libresolv (res_nsearch, ns_parserr) for dns_sd_configs SRV/MX/NS lookups.
        .target(name: "CResolv", linkerSettings: [.linkedLibrary("resolv")]),
        .target(
            name: "Discovery",
            dependencies: [
                "AgentConfig", "PromModel", "Relabel", "CResolv", "HTTPClientSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Scrape",
            dependencies: [
                "PromModel", "Exposition", "Relabel", "AgentConfig", "HTTPClientSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "RemoteWrite",
            dependencies: [
                "PromModel", "AgentConfig", "CSnappy", "HTTPClientSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Rule files evaluated remotely (issue 14): the rule-file loader, Go text/template
        // expansion of labels and annotations, the query client, groups and alert state.
        .target(
            name: "Rules",
            dependencies: [
                "PromModel", "AgentConfig", "Relabel", "Exposition", "HTTPClientSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Alerts to Alertmanager (issue 14): Alertmanager discovery, the v2 API client, the
        // notification queue.
        .target(
            name: "Notifier",
            dependencies: [
                "PromModel", "AgentConfig", "Discovery", "Relabel", "HTTPClientSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // libcrypt's crypt_r (bcrypt) for the web config's basic_auth_users.
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(
            name: "StatusServer",
            dependencies: [
                "PromModel", "AgentConfig", "Relabel", "CCrypt", "Rules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Git revision and build date for `promsls --version` and `prometheus_build_info`.
        .target(name: "CBuildInfo", cSettings: buildInfoDefines),
        .target(name: "CMalloc"),
        .executableTarget(
            name: "promsls",
            dependencies: [
                "PromModel", "Exposition", "Relabel", "AgentConfig", "Discovery", "Scrape",
                "RemoteWrite", "StatusServer", "Rules", "Notifier", "CBuildInfo", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // `make bench`: parse → relabel → encode on real fixtures, plus heap allocation counts.
        .target(name: "CAllocCounter"),
        .executableTarget(
            name: "promsls-bench",
            dependencies: [
                "PromModel", "Exposition", "Relabel", "Scrape", "RemoteWrite", "CAllocCounter", "AgentConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `make fuzz` (scripts/fuzz.sh): libFuzzer harnesses for the two exposition parsers, the
        // WAL and the config loader, built with -sanitize=fuzzer. CFuzzerDriver declares
        // LLVMFuzzerRunDriver and has a weak fallback so a plain `swift build` still links them.
        .target(name: "CFuzzerDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "Exposition", "PromModel", "RemoteWrite", "AgentConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(name: "promsls-fuzz-text", dependencies: ["CFuzzerDriver", "FuzzSupport"]),
        .executableTarget(name: "promsls-fuzz-om", dependencies: ["CFuzzerDriver", "FuzzSupport"]),
        .executableTarget(name: "promsls-fuzz-wal", dependencies: ["CFuzzerDriver", "FuzzSupport"]),
        .executableTarget(name: "promsls-fuzz-config", dependencies: ["CFuzzerDriver", "FuzzSupport"]),
        // What the test targets share: `.offThePool` (a test trait running blocking test bodies on
        // threads of their own) and `ManualClock` (time that moves only when a test says so).
        .target(name: "TestSupport", dependencies: ["PromModel"], path: "Tests/TestSupport"),
        .testTarget(name: "PromModelTests", dependencies: ["PromModel", "TestSupport", "CMalloc"]),
        .testTarget(
            name: "ExpositionTests", dependencies: ["Exposition", "PromModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RelabelTests", dependencies: ["Relabel", "PromModel"]),
        .testTarget(
            name: "AgentConfigTests", dependencies: ["AgentConfig", "Relabel", "FuzzSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "HTTPClientSupportTests",
            dependencies: [
                "HTTPClientSupport", "AgentConfig", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "ScrapeTests", dependencies: ["Scrape", "PromModel", "AgentConfig", "Relabel", "TestSupport"]),
        .testTarget(
            name: "DiscoveryTests",
            dependencies: [
                "Discovery", "Scrape", "PromModel", "AgentConfig", "TestSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Read by path (#filePath), not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RemoteWriteTests",
            dependencies: [
                "RemoteWrite", "PromModel", "AgentConfig", "FuzzSupport", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Read by path (#filePath), not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RulesTests",
            dependencies: ["Rules", "PromModel", "AgentConfig", "TestSupport"],
            // Read by path (#filePath), not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NotifierTests",
            dependencies: [
                "Notifier", "PromModel", "AgentConfig", "Discovery", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "StatusServerTests",
            dependencies: [
                "StatusServer", "PromModel", "AgentConfig", "Rules", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "PromModel", "AgentConfig", "RemoteWrite", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
