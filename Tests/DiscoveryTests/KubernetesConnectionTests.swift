import AgentConfig
import Foundation
import Testing

@testable import Discovery

/// How Kubernetes discovery finds its API server (in-cluster, `kubeconfig_file`, `api_server`),
/// which informers a config asks for, and the selector syntax checks of the config loader.
struct KubernetesConnectionTests {
    @Test func inClusterUsesTheServiceAccountTokenCAAndNamespace() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        try dir.write("token", "t0k3n")
        try dir.write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
        try dir.write("namespace", "monitoring\n")
        var config = KubernetesSDConfig(role: .pod)
        config.namespaces.ownNamespace = true
        let c = try KubeConnection.resolve(
            config, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: dir.path)
        #expect(c.baseURL == "https://10.96.0.1:443")
        #expect(c.httpClient.authorization?.credentialsFile == dir.path + "/token")
        #expect(c.httpClient.tlsConfig.caFile == dir.path + "/ca.crt")
        #expect(c.ownNamespace == "monitoring")

        let v6 = try KubeConnection.resolve(
            KubernetesSDConfig(role: .node),
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: dir.path)
        #expect(v6.baseURL == "https://[fd00::1]:6443")
        #expect(v6.ownNamespace == nil)
    }

    @Test func outsideAClusterTheErrorSaysWhatToSet() {
        do {
            _ = try KubeConnection.resolve(KubernetesSDConfig(role: .pod), environment: [:])
            Issue.record("resolved without a cluster")
        } catch {
            #expect("\(error)".contains("KUBERNETES_SERVICE_HOST"))
            #expect("\(error)".contains("api_server or kubeconfig_file"))
        }
    }

    @Test func apiServerKeepsTheJobsHTTPClientOptions() throws {
        var config = KubernetesSDConfig(role: .service)
        config.apiServer = "https://k8s.example:6443/"
        config.httpClient.authorization = Authorization(credentials: Secret("abc"))
        let c = try KubeConnection.resolve(config, environment: [:])
        #expect(c.baseURL == "https://k8s.example:6443")
        #expect(c.httpClient.authorization?.credentials.value == "abc")
    }

    @Test func kubeconfigCurrentContextWithInlineCAAndTokenFile() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let ca = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()
        let path = try dir.write(
            "config",
            """
            apiVersion: v1
            kind: Config
            current-context: prod
            contexts:
              - name: dev
                context: {cluster: dev, user: dev}
              - name: prod
                context: {cluster: prod, user: robot, namespace: apps}
            clusters:
              - name: dev
                cluster: {server: "https://dev:6443"}
              - name: prod
                cluster:
                  server: https://prod.example:6443/
                  certificate-authority-data: \(ca)
                  tls-server-name: kubernetes
            users:
              - name: dev
                user: {token: nope}
              - name: robot
                user:
                  tokenFile: robot.token
                  client-certificate: certs/robot.crt
                  client-key: /abs/robot.key
            """)
        let c = try KubeConfigFile.connection(path: path)
        #expect(c.baseURL == "https://prod.example:6443")
        #expect(c.httpClient.tlsConfig.ca?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
        #expect(c.httpClient.tlsConfig.serverName == "kubernetes")
        #expect(c.httpClient.authorization?.credentialsFile == dir.path + "/robot.token")
        #expect(c.httpClient.tlsConfig.certFile == dir.path + "/certs/robot.crt")
        #expect(c.httpClient.tlsConfig.keyFile == "/abs/robot.key")
    }

    @Test func kubeconfigWithAnExecPluginIsRefusedByName() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let path = try dir.write(
            "config",
            """
            current-context: ack
            contexts: [{name: ack, context: {cluster: ack, user: ram}}]
            clusters: [{name: ack, cluster: {server: "https://ack:6443"}}]
            users: [{name: ram, user: {exec: {command: ack-ram-authenticator}}}]
            """)
        #expect {
            try KubeConfigFile.connection(path: path)
        } throws: { "\($0)".contains("exec or auth-provider") && "\($0)".contains(path) }
        let missing = try dir.write("bad", "current-context: nowhere\ncontexts: []\n")
        #expect {
            try KubeConfigFile.connection(path: missing)
        } throws: { "\($0)".contains(#"context "nowhere" not found"#) }
    }

    private func discoverer(_ config: KubernetesSDConfig, own: String? = nil) -> KubernetesDiscoverer {
        KubernetesDiscoverer(
            config: config,
            connection: KubeConnection(baseURL: "https://x", httpClient: HTTPClientConfig(), ownNamespace: own),
            hub: KubeInformerHub(), metrics: KubeMetrics(registry: makeMetrics().1), logger: quietLogger)
    }

    @Test func namespacesAllOrNamedPlusOwn() {
        #expect(discoverer(KubernetesSDConfig(role: .pod)).namespaces == [nil])
        var config = KubernetesSDConfig(role: .pod)
        config.namespaces = .init(names: ["a", "b"], ownNamespace: true)
        #expect(discoverer(config, own: "monitoring").namespaces == ["a", "b", "monitoring"])
        #expect(discoverer(config, own: "a").namespaces == ["a", "b"])
    }

    @Test func aDaemonSetsNodeSelectorNarrowsTheNodeWatch() {
        var config = KubernetesSDConfig(role: .pod)
        config.attachMetadata.node = true
        config.selectors = [.init(role: .pod, label: "app=x", field: "status.phase=Running,spec.nodeName=node-7")]
        #expect(discoverer(config).nodeFieldSelector == "metadata.name=node-7")
        config.selectors = [.init(role: .pod, field: "spec.nodeName!=node-7")]
        #expect(discoverer(config).nodeFieldSelector == nil)
        config.selectors = [.init(role: .pod, field: "spec.nodeName==n2")]
        #expect(discoverer(config).nodeFieldSelector == "metadata.name=n2")
    }

    @Test func selectorSyntaxAsTheAPIServerParsesIt() {
        for good in [
            "app=web", "app==web,tier!=db", "env in (prod, staging)", "env notin (dev)", "!canary", "partition",
            "app.kubernetes.io/name=x", "a=", "count>3",
        ] {
            #expect(KubeSelectorSyntax.labelSelectorProblem(good) == nil, "\(good)")
        }
        for bad in ["foo=bar baz", "-app=x", "env in prod", "app=x,", "example.com//x=y", "count>three"] {
            #expect(KubeSelectorSyntax.labelSelectorProblem(bad) != nil, "\(bad)")
        }
        for good in ["spec.nodeName=n1", "metadata.name!=x,status.phase==Running", #"metadata.name=a\,b"#] {
            #expect(KubeSelectorSyntax.fieldSelectorProblem(good) == nil, "\(good)")
        }
        for bad in ["metadata.status-Running", "=x", #"a=b\"#] {
            #expect(KubeSelectorSyntax.fieldSelectorProblem(bad) != nil, "\(bad)")
        }
    }
}
