import AgentConfig
import Yams

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `kubeconfig_file`: the API server and credentials of the file's current context, as
/// client-go's `clientcmd.BuildConfigFromFlags("", path)` reads them: the cluster's `server`,
/// `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`; the user's
/// `token`, `tokenFile`, `client-certificate(-data)`, `client-key(-data)`, `username`/`password`.
/// Relative paths are relative to the kubeconfig's directory. `exec` and `auth-provider`
/// plugins are refused with a clear error (promsls runs no credential plugins).
/// https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
enum KubeConfigFile {
    /// - Throws: `KubeAPIError` naming the file and what is missing or unsupported.
    static func connection(path: String) throws -> KubeConnection {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeAPIError(description: "kubeconfig_file \(path): cannot read the file")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw KubeAPIError(description: "kubeconfig_file \(path): invalid YAML: \(error)")
        }
        func fail(_ message: String) -> KubeAPIError {
            KubeAPIError(description: "kubeconfig_file \(path): \(message)")
        }
        guard let root = node?.mapping else { throw fail("not a kubeconfig (expected a mapping)") }
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        func resolve(_ p: String) -> String { p.hasPrefix("/") || dir.isEmpty ? p : dir + "/" + p }
        func named(_ list: String, _ name: String, _ field: String) -> Node.Mapping? {
            for item in root[list]?.sequence ?? [] where item.mapping?["name"]?.string == name {
                return item.mapping?[field]?.mapping
            }
            return nil
        }
        guard let current = root["current-context"]?.string, !current.isEmpty else {
            throw fail("no current-context")
        }
        guard let context = named("contexts", current, "context") else {
            throw fail("context \"\(current)\" not found")
        }
        guard let clusterName = context["cluster"]?.string, let cluster = named("clusters", clusterName, "cluster")
        else { throw fail("cluster of context \"\(current)\" not found") }
        guard let server = cluster["server"]?.string, !server.isEmpty else {
            throw fail("cluster \"\(clusterName)\" has no server")
        }
        var client = HTTPClientConfig()
        if let ca = cluster["certificate-authority-data"]?.string {
            client.tlsConfig.ca = try pem(ca, "certificate-authority-data", fail)
        } else if let ca = cluster["certificate-authority"]?.string {
            client.tlsConfig.caFile = resolve(ca)
        }
        if cluster["insecure-skip-tls-verify"]?.bool == true { client.tlsConfig.insecureSkipVerify = true }
        if let name = cluster["tls-server-name"]?.string, !name.isEmpty { client.tlsConfig.serverName = name }
        if let userName = context["user"]?.string, let user = named("users", userName, "user") {
            if user["exec"] != nil || user["auth-provider"] != nil {
                throw fail(
                    "user \"\(userName)\" uses an exec or auth-provider credential plugin, which promsls does not run; use a token, tokenFile or client certificate"
                )
            }
            if let cert = user["client-certificate-data"]?.string {
                client.tlsConfig.cert = try pem(cert, "client-certificate-data", fail)
            } else if let cert = user["client-certificate"]?.string {
                client.tlsConfig.certFile = resolve(cert)
            }
            if let key = user["client-key-data"]?.string {
                client.tlsConfig.key = Secret(try pem(key, "client-key-data", fail))
            } else if let key = user["client-key"]?.string {
                client.tlsConfig.keyFile = resolve(key)
            }
            if let token = user["token"]?.string, !token.isEmpty {
                client.authorization = Authorization(type: "Bearer", credentials: Secret(token))
            } else if let file = user["tokenFile"]?.string, !file.isEmpty {
                client.authorization = Authorization(
                    type: "Bearer", credentials: Secret(""), credentialsFile: resolve(file))
            } else if let username = user["username"]?.string {
                client.basicAuth = BasicAuth(username: username, password: Secret(user["password"]?.string ?? ""))
            }
        }
        return KubeConnection(baseURL: KubeConnection.trimSlash(server), httpClient: client)
    }

    private static func pem(_ base64: String, _ field: String, _ fail: (String) -> KubeAPIError) throws -> String {
        guard let data = Data(base64Encoded: base64.filter { !$0.isWhitespace }) else {
            throw fail("\(field) is not valid base64")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
