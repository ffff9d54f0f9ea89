import Yams

/// `remote_read`, `storage`, `tracing`, `runtime`: accepted with a warning (they mean nothing
/// for an agent), but still checked as Prometheus checks them, so a file Prometheus refuses is
/// not accepted here (`config/config.go`: `Config.UnmarshalYAML`, `RemoteReadConfig`,
/// `StorageConfig`, `TracingConfig`, `RuntimeConfig`).
enum MeaninglessSections {
    static func check(_ top: Fields) throws(ConfigError) {
        if let items = try top.sequence("remote_read") { try remoteRead(items, top.context) }
        if let node = top.value("storage") {
            let storage = try Fields(node, path: "storage", context: top.context, known: ["tsdb", "exemplars"])
            if let tsdb = storage.value("tsdb") {
                // Only the key promsls knows the type of; Prometheus 3.x adds more over time.
                guard case .mapping(let mapping) = tsdb else {
                    throw top.context.error(tsdb, "storage.tsdb", "expected a mapping, got \(tsdb.kindName)")
                }
                for (key, value) in mapping where key.scalar?.string == "out_of_order_time_window" && !value.isNull {
                    let text = try top.context.scalar(value, "storage.tsdb.out_of_order_time_window")
                    guard parsePrometheusDuration(text) != nil else {
                        throw top.context.error(
                            value, "storage.tsdb.out_of_order_time_window", "\(quoted(text)) is not a valid duration")
                    }
                }
            }
            if let exemplars = storage.value("exemplars") {
                let fields = try Fields(
                    exemplars, path: "storage.exemplars", context: top.context, known: ["max_exemplars"])
                _ = try fields.int("max_exemplars")
            }
        }
        if let node = top.value("tracing") {
            let tracing = try Fields(
                node, path: "tracing", context: top.context,
                known: [
                    "client_type", "endpoint", "sampling_fraction", "insecure", "tls_config", "headers", "compression",
                    "timeout",
                ])
            if let clientType = try tracing.string("client_type"), !["http", "grpc"].contains(clientType) {
                throw tracing.error(
                    "client_type", "expected tracing client type to be http or grpc, got \(quoted(clientType))")
            }
        }
        if let node = top.value("runtime") {
            let runtime = try Fields(node, path: "runtime", context: top.context, known: ["gogc"])
            _ = try runtime.int("gogc")
        }
    }

    /// Each entry a mapping with a `url`; names unique (empty names are filled in by
    /// Prometheus from the config's hash).
    private static func remoteRead(_ items: [(node: Node, path: String)], _ context: LoadContext) throws(ConfigError) {
        var names: Set<String> = []
        for item in items {
            guard !item.node.isNull else {
                throw context.error(item.node, item.path, "empty or null remote read config section")
            }
            guard case .mapping(let mapping) = item.node else {
                throw context.error(item.node, item.path, "expected a mapping, got \(item.node.kindName)")
            }
            var url: String?
            var name = ""
            for (key, value) in mapping where !value.isNull {
                switch key.scalar?.string {
                case "url": url = try context.scalar(value, item.path + ".url")
                case "name": name = try context.scalar(value, item.path + ".name")
                default: continue
                }
            }
            guard let url, !url.isEmpty else {
                throw context.error(item.node, item.path + ".url", "url for remote_read is empty")
            }
            if !name.isEmpty && !names.insert(name).inserted {
                throw context.error(
                    item.node, item.path + ".name", "found multiple remote read configs with job name \(quoted(name))")
            }
        }
    }
}
