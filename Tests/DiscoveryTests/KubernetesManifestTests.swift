import AgentConfig
import Foundation
import TestSupport
import Testing
import Yams

/// examples/kubernetes: every manifest parses, the ConfigMap's two configs load, the ClusterRole
/// grants exactly what their `kubernetes_sd_configs` watch, and each DaemonSet agent discovers
/// only its own node once its init container has put the node's name in the config.
@Suite("kubernetes examples", .offThePool)
struct KubernetesManifestTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/kubernetes")
    /// What ACK's RRSA webhook injects; both configs name `provider: oidc_role_arn`.
    static let rrsaEnvironment = [
        "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1234567890:role/promsls-sls-writer",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1234567890:oidc-provider/ack-rrsa-c0ffee",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
    ]
    /// What node.yml holds where the node's name goes.
    static let placeholder = "__NODE_NAME__"
    static let manifests = ["rbac.yaml", "configmap.yaml", "daemonset.yaml", "deployment.yaml"]

    @Test("examples/kubernetes holds the four manifests and nothing else")
    func fileList() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.dir.path)
        #expect(names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted() == Self.manifests.sorted())
    }

    @Test("every document has apiVersion, kind and metadata.name", arguments: KubernetesManifestTests.manifests)
    func documentsParse(file: String) throws {
        let docs = try Self.documents(file)
        #expect(!docs.isEmpty)
        for doc in docs {
            #expect(doc["apiVersion"] is String, "\(file): \(doc["kind"] ?? "?")")
            #expect(doc["kind"] is String, "\(file)")
            #expect((doc["metadata"] as? [String: Any])?["name"] is String, "\(file): \(doc["kind"] ?? "?")")
        }
    }

    @Test(
        "the ConfigMap's configs load, every job discovers through Kubernetes, RRSA credentials",
        arguments: ["node.yml", "cluster.yml"])
    func configsLoad(key: String) throws {
        let config = try Self.config(key, nodeName: "node-a")
        #expect(!config.scrapeConfigs.isEmpty)
        for job in config.scrapeConfigs {
            #expect(!job.kubernetesSDConfigs.isEmpty, "\(key): \(job.jobName)")
        }
        #expect(config.remoteWrite.count == 1)
        #expect(config.sls?.credentials.provider == .oidcRoleARN)
        #expect(config.sls?.credentials.roleARN == Self.rrsaEnvironment["ALIBABA_CLOUD_ROLE_ARN"])
        // Without the webhook's variables the agent stops at start-up and says which is missing.
        let text = try Self.embedded(key).replacingOccurrences(of: Self.placeholder, with: "node-a")
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(yaml: text, sourcePath: "/etc/promsls/\(key)", environment: [:])
        }
        #expect(error?.message.contains("ALIBABA_CLOUD_ROLE_ARN") == true, "\(String(describing: error))")
    }

    @Test("the ClusterRole grants exactly what the configured roles watch (list, watch) and the kubelet scrape needs")
    func rbacCoversRoles() throws {
        var needed: [Grant: Set<String>] = [:]
        for key in ["node.yml", "cluster.yml"] {
            for job in try Self.config(key, nodeName: "node-a").scrapeConfigs {
                for sd in job.kubernetesSDConfigs {
                    for grant in Grant.watched(by: sd) { needed[grant, default: []].formUnion(["list", "watch"]) }
                    // A node-role job scraping /metrics* over https scrapes kubelets: the kubelet
                    // authorizes it as `get nodes/metrics`.
                    if sd.role == .node, job.scheme == "https", job.metricsPath.hasPrefix("/metrics") {
                        needed[Grant("", "nodes/metrics"), default: []].insert("get")
                    }
                }
            }
        }
        let rbac = try Self.documents("rbac.yaml")
        let role = try #require(rbac.first { $0["kind"] as? String == "ClusterRole" })
        let rules = try #require(role["rules"] as? [[String: Any]])
        var granted: [Grant: Set<String>] = [:]
        for rule in rules {
            #expect(rule["nonResourceURLs"] == nil, "no job scrapes the API server's /metrics")
            let verbs = Set(rule["verbs"] as? [String] ?? [])
            #expect(verbs.isSubset(of: ["get", "list", "watch"]), "read-only: \(verbs)")
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] {
                    granted[Grant(group, resource), default: []].formUnion(verbs)
                }
            }
        }
        for (grant, verbs) in needed {
            #expect(verbs.isSubset(of: granted[grant] ?? []), "\(grant) needs \(verbs.sorted())")
        }
        #expect(
            Set(granted.keys) == Set(needed.keys), "granted beyond need: \(Set(granted.keys).subtracting(needed.keys))")

        let binding = try #require(rbac.first { $0["kind"] as? String == "ClusterRoleBinding" })
        #expect((binding["roleRef"] as? [String: Any])?["name"] as? String == "promsls")
        let subject = try #require((binding["subjects"] as? [[String: Any]])?.first)
        #expect(subject["name"] as? String == "promsls" && subject["namespace"] as? String == "monitoring")
        for (file, kind) in [("daemonset.yaml", "DaemonSet"), ("deployment.yaml", "Deployment")] {
            #expect(try Self.podSpec(file, kind)["serviceAccountName"] as? String == "promsls", "\(file)")
        }
    }

    @Test("the DaemonSet's init container renders node.yml so that every selector names its own node")
    func daemonSetSelectsOwnNode() throws {
        let spec = try Self.podSpec("daemonset.yaml", "DaemonSet")
        let inits = try #require(spec["initContainers"] as? [[String: Any]])
        let render = try #require(inits.first { $0["name"] as? String == "render-config" })
        let env = try #require((render["env"] as? [[String: Any]])?.first { $0["name"] as? String == "NODE_NAME" })
        let fieldRef = ((env["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"]
        #expect(fieldRef as? String == "spec.nodeName")

        // Run the init container's own shell command, its mounts moved into a scratch directory.
        let scratch = try Scratch()
        defer { scratch.remove() }
        var command = try #require((render["command"] as? [String])?.last)
        let mounts = try #require(render["volumeMounts"] as? [[String: Any]])
        var hostDirs: [String: String] = [:]  // volume name -> scratch directory
        for mount in mounts.sorted(by: {
            ($0["mountPath"] as? String ?? "").count > ($1["mountPath"] as? String ?? "").count
        }) {
            let name = try #require(mount["name"] as? String)
            let path = try #require(mount["mountPath"] as? String)
            hostDirs[name] = scratch.path + "/" + name
            try FileManager.default.createDirectory(atPath: hostDirs[name]!, withIntermediateDirectories: true)
            command = command.replacingOccurrences(of: path + "/", with: hostDirs[name]! + "/")
        }
        try scratch.write("config-template/node.yml", try Self.embedded("node.yml"))
        #expect(try Self.sh(command, nodeName: "") != 0, "an empty node name must stop the pod")
        #expect(try Self.sh(command, nodeName: "cn-hangzhou.10.0.0.7") == 0)

        // promsls reads the rendered file: the main container mounts the same volume.
        let main = try #require((spec["containers"] as? [[String: Any]])?.first { $0["name"] as? String == "promsls" })
        let configArg = try #require((main["args"] as? [String])?.first { $0.hasPrefix("--config.file=") })
        let configPath = String(configArg.dropFirst("--config.file=".count))
        let mainMount = try #require(
            (main["volumeMounts"] as? [[String: Any]])?.first {
                configPath.hasPrefix(($0["mountPath"] as? String ?? "?") + "/")
            })
        let volume = try #require(mainMount["name"] as? String)
        let rendered = try #require(hostDirs[volume], "the agent reads a volume render-config does not write")
        let file = rendered + "/" + configPath.dropFirst((mainMount["mountPath"] as! String).count + 1)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains(Self.placeholder))

        let config = try ConfigLoader.load(
            yaml: text, sourcePath: configPath, environment: Self.rrsaEnvironment, ignoreUnsupported: false)
        for job in config.scrapeConfigs {
            for sd in job.kubernetesSDConfigs {
                let own: String
                switch sd.role {
                case .pod: own = "spec.nodeName=cn-hangzhou.10.0.0.7"
                case .node: own = "metadata.name=cn-hangzhou.10.0.0.7"
                default:
                    Issue.record("\(job.jobName): role \(sd.role) is cluster-wide: every node's agent would scrape it")
                    continue
                }
                #expect(sd.selectors.contains { $0.role == sd.role && $0.field == own }, "\(job.jobName)")
            }
        }
    }

    @Test("the Deployment: one replica, Recreate, cluster.yml; both workloads probe /-/healthy and /-/ready")
    func workloads() throws {
        let deployment = try #require(
            try Self.documents("deployment.yaml").first { $0["kind"] as? String == "Deployment" })
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 1)
        #expect((spec["strategy"] as? [String: Any])?["type"] as? String == "Recreate")
        for (file, kind, config) in [
            ("daemonset.yaml", "DaemonSet", "node.yml"), ("deployment.yaml", "Deployment", "cluster.yml"),
        ] {
            let pod = try Self.podSpec(file, kind)
            let main = try #require((pod["containers"] as? [[String: Any]])?.first)
            let args = main["args"] as? [String] ?? []
            #expect(args.contains("--config.file=/etc/promsls/\(config)"), "\(file)")
            #expect(args.contains("--web.listen-address=0.0.0.0:9090"), "\(file)")
            #expect((main["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9090, "\(file)")
            for (probe, path) in [("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")] {
                let get = (main[probe] as? [String: Any])?["httpGet"] as? [String: Any]
                #expect(get?["path"] as? String == path && get?["port"] as? String == "web", "\(file) \(probe)")
            }
            let security = main["securityContext"] as? [String: Any]
            #expect(security?["readOnlyRootFilesystem"] as? Bool == true, "\(file)")
            #expect((pod["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true, "\(file)")
        }
    }

    // MARK: - Helpers

    /// An API group and a resource (`nodes/metrics` for a subresource), as RBAC names them.
    struct Grant: Hashable, CustomStringConvertible {
        var group: String
        var resource: String
        init(_ group: String, _ resource: String) { (self.group, self.resource) = (group, resource) }
        var description: String { "\(group.isEmpty ? "core" : group)/\(resource)" }

        /// What Prometheus's Kubernetes discovery lists and watches for `sd`
        /// (discovery/kubernetes/kubernetes.go `Discovery.Run`).
        static func watched(by sd: KubernetesSDConfig) -> Set<Grant> {
            var out: Set<Grant>
            switch sd.role {
            case .pod: out = [Grant("", "pods")]
            case .node: out = [Grant("", "nodes")]
            case .service: out = [Grant("", "services")]
            case .endpoints: out = [Grant("", "endpoints"), Grant("", "pods"), Grant("", "services")]
            case .endpointslice:
                out = [Grant("discovery.k8s.io", "endpointslices"), Grant("", "pods"), Grant("", "services")]
            case .ingress: out = [Grant("networking.k8s.io", "ingresses")]
            }
            if sd.attachMetadata.node { out.insert(Grant("", "nodes")) }
            if sd.attachMetadata.namespace { out.insert(Grant("", "namespaces")) }
            return out
        }
    }

    static func documents(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        return try Yams.load_all(yaml: text).map { try #require($0 as? [String: Any], "\(file): not a mapping") }
    }

    /// The prometheus.yml text under `key` in configmap.yaml's ConfigMap.
    static func embedded(_ key: String) throws -> String {
        let configMap = try #require(try documents("configmap.yaml").first { $0["kind"] as? String == "ConfigMap" })
        #expect((configMap["metadata"] as? [String: Any])?["name"] as? String == "promsls-config")
        return try #require((configMap["data"] as? [String: Any])?[key] as? String, "no \(key) in the ConfigMap")
    }

    /// The config under `key`, with the DaemonSet's placeholder replaced by `nodeName`.
    static func config(_ key: String, nodeName: String) throws -> Config {
        let text = try embedded(key).replacingOccurrences(of: placeholder, with: nodeName)
        return try ConfigLoader.load(
            yaml: text, sourcePath: "/etc/promsls/\(key)", environment: rrsaEnvironment, ignoreUnsupported: false)
    }

    /// `spec.template.spec` of the `kind` object in `file`.
    static func podSpec(_ file: String, _ kind: String) throws -> [String: Any] {
        let object = try #require(try documents(file).first { $0["kind"] as? String == kind }, "no \(kind) in \(file)")
        let template = ((object["spec"] as? [String: Any])?["template"] as? [String: Any])
        return try #require(template?["spec"] as? [String: Any], "\(file): no pod template")
    }

    /// Runs `command` with `sh -c` and `NODE_NAME` set, as the init container does; its status.
    static func sh(_ command: String, nodeName: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ["PATH": "/usr/bin:/bin", "NODE_NAME": nodeName]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
