import CBuildInfo
import PromModel

/// What `promsls --version` prints and `prometheus_build_info` carries: the version (from
/// `PromModel.promslsVersion`), the git revision and the build date baked in by the Makefile.
enum BuildInfo {
    static let version = promslsVersion
    static let revision = String(cString: promsls_build_revision())
    static let buildDate = String(cString: promsls_build_date())

    /// Prometheus's `--version` layout (`prometheus, version 2.42.0 (branch: …, revision: …)`).
    static let versionText = """
        promsls, version \(version) (revision: \(revision))
          build date:       \(buildDate)
          platform:         \(platform)
        """

    static var platform: String {
        #if os(Linux)
            let os = "linux"
        #else
            let os = "darwin"
        #endif
        #if arch(x86_64)
            return os + "/amd64"
        #elseif arch(arm64)
            return os + "/arm64"
        #else
            return os + "/unknown"
        #endif
    }
}
