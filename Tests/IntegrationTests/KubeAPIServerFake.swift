// Tests/Fakes/kube_apiserver_fake.py as a peer of the integration tests: started over HTTPS with
// a throwaway self-signed certificate and a bearer-token file, driven through its control API,
// plus the objects and agent configuration the Kubernetes discovery tests share.

import AsyncHTTPClient
import Foundation
import NIOCore

/// A running fake Kubernetes API server (HTTPS on `port`, the control API on `controlPort`).
struct KubeAPIServerFake {
    let child: Child
    let port: Int
    let controlPort: Int
    /// The server's certificate, its own CA.
    let caFile: String
    let tokenFile: String
    var apiServer: String { "https://127.0.0.1:\(port)" }
    var control: String { "http://127.0.0.1:\(controlPort)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fakes/kube_apiserver_fake.py").path

    /// Starts the fake in `dir` and waits for both port files.
    /// - Parameter arguments: more options, e.g. `["--deny", "pods"]`.
    static func start(dir: TempDir, arguments: [String] = []) async throws -> KubeAPIServerFake {
        let (cert, key) = try Credentials.selfSignedCert(in: dir)
        let token = try dir.write("kube-token", "kube-test-token-\(UUID().uuidString)\n")
        let portFile = dir.file("kube.port")
        let controlFile = dir.file("kube-control.port")
        let child = try Child(
            "kube_apiserver_fake", "/usr/bin/env",
            [
                "python3", script, "--cert", cert, "--key", key, "--token-file", token, "--port-file", portFile,
                "--control-port-file", controlFile,
            ] + arguments, dir: dir)
        func port(_ file: String) -> Int? {
            (try? String(contentsOfFile: file, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        do {
            let (p, c) = try await eventually(
                "kube_apiserver_fake to write its port files", timeout: .seconds(20), interval: .milliseconds(50),
                context: { child.tail() }
            ) { () -> (Int, Int)? in
                if !child.isRunning { throw IntegrationError("kube_apiserver_fake exited: \(child.exitStatus ?? -1)") }
                guard let p = port(portFile), let c = port(controlFile) else { return nil }
                return (p, c)
            }
            return KubeAPIServerFake(child: child, port: p, controlPort: c, caFile: cert, tokenFile: token)
        } catch {
            child.stop()
            throw error
        }
    }

    /// A `kubernetes_sd_configs` entry (a YAML flow mapping) for this server.
    func sdConfig(role: String) -> String {
        "{role: \(role), api_server: \(yamlQuote(apiServer)), tls_config: {ca_file: \(yamlQuote(caFile))}, "
            + "authorization: {credentials_file: \(yamlQuote(tokenFile))}}"
    }

    // MARK: Control API

    /// POSTs `body` as JSON to a control route; returns the answer.
    /// - Throws: when the answer is not 200.
    @discardableResult
    func post(_ http: TestHTTP, _ route: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: control + route)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: body))))
        let response = try await http.client.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status == .ok else { throw IntegrationError("POST \(route): HTTP \(response.status): \(text)") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    func apply(_ http: TestHTTP, _ resource: String, _ object: [String: Any]) async throws {
        try await post(http, "/apply", ["resource": resource, "object": object])
    }

    func delete(_ http: TestHTTP, _ resource: String, _ name: String, namespace: String = "default") async throws {
        try await post(http, "/delete", ["resource": resource, "namespace": namespace, "name": name])
    }

    /// `GET /stats`.
    func stats(_ http: TestHTTP) async throws -> [String: Any] {
        let r = try await http.get(control + "/stats")
        guard r.status == 200, let doc = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
        else { throw IntegrationError("GET /stats: HTTP \(r.status): \(r.body.prefix(300))") }
        return doc
    }

    /// The names of the pods the server holds.
    func podNames(_ http: TestHTTP) async throws -> Set<String> {
        let r = try await http.get(control + "/objects?resource=pods")
        guard let doc = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
            let pods = doc["pods"] as? [[String: Any]]
        else { throw IntegrationError("GET /objects: HTTP \(r.status): \(r.body.prefix(300))") }
        return Set(pods.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String })
    }
}

/// `stats[verb][resource]` of the fake's `/stats` (`requests` or `open_watches_by_resource`).
func kubeCount(_ stats: [String: Any], _ path: String...) -> Int {
    var node: Any? = stats
    for key in path { node = (node as? [String: Any])?[key] }
    return node as? Int ?? 0
}

// MARK: - Objects

/// Kubernetes objects whose addresses are on loopback, so the agent really scrapes them.
enum KubeFixtures {
    /// A running, ready pod at 127.0.0.1 with one container port, `port`.
    static func pod(_ name: String, app: String, port: Int, namespace: String = "default") -> [String: Any] {
        [
            "metadata": ["name": name, "namespace": namespace, "labels": ["app": app]],
            "spec": [
                "nodeName": "node-1",
                "containers": [
                    [
                        "name": "main", "image": "registry.example.com/main:1",
                        "ports": [["name": "metrics", "containerPort": port, "protocol": "TCP"]],
                    ]
                ],
            ],
            "status": [
                "phase": "Running", "podIP": "127.0.0.1", "podIPs": [["ip": "127.0.0.1"]], "hostIP": "127.0.0.1",
                "conditions": [["type": "Ready", "status": "True"]],
            ],
        ]
    }

    /// A ClusterIP service `name` selecting `app=name`, its port 80 to `targetPort`.
    static func service(_ name: String, targetPort: Int) -> [String: Any] {
        [
            "metadata": ["name": name, "namespace": "default", "labels": ["app": name]],
            "spec": [
                "type": "ClusterIP", "clusterIP": "10.96.0.10", "selector": ["app": name],
                "ports": [["name": "metrics", "port": 80, "targetPort": targetPort, "protocol": "TCP"]],
            ],
        ]
    }

    /// An EndpointSlice of service `service` with one ready endpoint, pod `pod` at 127.0.0.1:`port`.
    static func endpointSlice(_ name: String, service: String, pod: String, port: Int) -> [String: Any] {
        [
            "metadata": ["name": name, "namespace": "default", "labels": ["kubernetes.io/service-name": service]],
            "addressType": "IPv4",
            "endpoints": [
                [
                    "addresses": ["127.0.0.1"], "conditions": ["ready": true, "serving": true, "terminating": false],
                    "nodeName": "node-1", "targetRef": ["kind": "Pod", "name": pod, "namespace": "default"],
                ]
            ],
            "ports": [["name": "metrics", "port": port, "protocol": "TCP"]],
        ]
    }
}

// MARK: - Agent side

/// One active target of `/api/v1/targets`.
struct ActiveTarget {
    var labels: [String: String]
    var scrapePool: String
    var health: String
}

/// Every active target of the agent, with its pool and health.
func activeTargetDetails(_ http: TestHTTP, _ agent: Promsls) async throws -> [ActiveTarget] {
    let r = try await http.get(agent.base + "/api/v1/targets?state=active")
    guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
        let data = obj["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]]
    else { throw IntegrationError("/api/v1/targets: HTTP \(r.status): \(r.body.prefix(300))") }
    return active.map {
        ActiveTarget(
            labels: $0["labels"] as? [String: String] ?? [:], scrapePool: $0["scrapePool"] as? String ?? "",
            health: $0["health"] as? String ?? "")
    }
}
