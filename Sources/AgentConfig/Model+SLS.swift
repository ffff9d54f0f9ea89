import PromModel

// The `sls:` section's model: the Metricstore, its credentials and its data model.

/// A secret given inline (or from an environment variable) or read from a file when used.
public enum SecretSource: Sendable, Equatable {
    case value(Secret)
    /// Read (and trimmed) each time it is used: a rotated file is picked up without a reload.
    case file(String)
}

/// Where an `sls:` entry's AccessKey comes from: the Alibaba Cloud credential chain
/// (aliyun/credentials-python's providers). Without `sls.credentials.provider` the first
/// configured wins: AccessKey keys in the config, then `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`,
/// then RRSA/OIDC (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`), then `ALIBABA_CLOUD_CREDENTIALS_URI`, then the ECS RAM role
/// (`ALIBABA_CLOUD_ECS_METADATA` names it).
public struct SLSCredentialsConfig: Sendable, Equatable {
    public enum Provider: String, Sendable, CaseIterable {
        /// AccessKey ID and secret (and an STS token) from the config.
        case staticKeys = "static"
        /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_SECURITY_TOKEN`.
        case environment
        /// JSON credentials from a local HTTP endpoint (`ALIBABA_CLOUD_CREDENTIALS_URI`).
        case credentialsURI = "credentials_uri"
        /// The ECS instance's RAM role, from the instance metadata service.
        case ecsRAMRole = "ecs_ram_role"
        /// RRSA: `AssumeRoleWithOIDC` at STS with the pod's OIDC token.
        case oidcRoleARN = "oidc_role_arn"
    }

    public var provider: Provider
    /// Where the choice came from, for the start-up log ("sls.credentials.provider", "environment"…).
    public var chosenBy = ""
    public var accessKeyID: SecretSource?
    public var accessKeySecret: SecretSource?
    public var securityToken: SecretSource?
    public var credentialsURI: String?
    /// ECS: the RAM role; nil: discovered from the metadata service.
    public var roleName: String?
    /// The ECS metadata service (for private deployments and tests).
    public var metadataEndpoint = "http://100.100.100.200"
    /// ECS: never fall back to IMDSv1 (no session token) when the token request fails.
    public var disableIMDSv1 = false
    public var roleARN: String?
    public var oidcProviderARN: String?
    public var oidcTokenFile: String?
    public var roleSessionName = "promsls"
    /// The STS endpoint (for private deployments and tests).
    public var stsEndpoint = "https://sts.aliyuncs.com"
    /// Lifetime asked of STS (`DurationSeconds`).
    public var duration: Duration = .seconds(3600)

    public init(provider: Provider) { self.provider = provider }

    /// Whether the credentials are fixed at load: basic auth in the HTTP client is enough.
    public var isFixed: Bool {
        guard provider == .staticKeys || provider == .environment else { return false }
        for s in [accessKeyID, accessKeySecret, securityToken] {
            if case .file = s { return false }
        }
        return true
    }
}

/// What an SLS Metricstore accepts (alibabacloud.com/help/en/sls/product-overview/metric):
/// metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`, and label
/// values without `|` (SLS stores a label set as `name#$#value|name#$#value`).
public struct SLSDataModel: Sendable, Equatable {
    /// What replaces each `|` in a label value (`sls.label_value_pipe_replacement`, default
    /// `_`); nil: `keep`, sent as is.
    public var pipeReplacement: String? = "_"

    public init(pipeReplacement: String? = "_") { self.pipeReplacement = pipeReplacement }
}

/// The `sls:` shortcut, expanded into a `remote_write` entry with HTTPS and basic auth to
/// `https://{project}.{endpoint}/prometheus/{project}/{metricstore}/api/v1/write`.
public struct SLSConfig: Sendable, Equatable {
    public var project: String
    public var endpoint: String
    public var metricstore: String
    public var accessKeyID: String
    public var accessKeySecret: Secret
    /// STS token: the password becomes `{secret}${token}` (a literal `$`).
    public var stsToken: Secret?
    /// Use the `-intranet` endpoint (`cn-hangzhou-intranet.log.aliyuncs.com`).
    public var intranet: Bool = false
    /// `name:` of the generated remote_write entry (default `sls-{project}-{metricstore}`).
    public var name: String = ""
    /// The remote_write URL it expands to.
    public var url: String = ""
    /// `label_value_pipe_replacement`: what replaces `|` in label values (nil: `keep`).
    public var pipeReplacement: String? = "_"
    /// Where the AccessKey comes from (`sls.credentials`, or the first configured of the chain).
    public var credentials = SLSCredentialsConfig(provider: .staticKeys)

    public init(project: String, endpoint: String, metricstore: String, accessKeyID: String, accessKeySecret: Secret) {
        self.project = project
        self.endpoint = endpoint
        self.metricstore = metricstore
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
    }
}
