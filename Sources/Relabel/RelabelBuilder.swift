import PromModel

/// The label state while rules run, with the semantics of Prometheus's `labels.Builder`
/// (a base set plus ordered `add` and `del` lists). Its iteration order — untouched base
/// labels in name order, then added labels in the order they were first set — decides which
/// source wins when `labelmap` maps two labels to one name, so it is kept exactly.
struct RelabelBuilder {
    private(set) var base: Labels
    private var add: [Label] = []
    private var del: [String] = []

    init(_ base: Labels) { self.base = base }

    /// The value of `name`, "" when absent (Go's `Builder.Get`).
    func get(_ name: String) -> String {
        for a in add where a.name == name { return a.value }
        if del.contains(name) { return "" }
        return base[name] ?? ""
    }

    /// Sets `name`; an empty value deletes it.
    mutating func set(_ name: String, _ value: String) {
        guard !value.isEmpty else { return delete(name) }
        if let i = add.firstIndex(where: { $0.name == name }) {
            add[i].value = value
        } else {
            add.append(Label(name, value))
        }
    }

    mutating func delete(_ name: String) {
        add.removeAll { $0.name == name }
        del.append(name)
    }

    /// A snapshot of the current labels in `Builder.Range` order.
    func range() -> [Label] {
        var out = base.labels.filter { l in !del.contains(l.name) && !add.contains { $0.name == l.name } }
        out += add
        return out
    }

    /// The current label set.
    func labels() -> Labels {
        if add.isEmpty && del.isEmpty { return base }
        return Labels(range())
    }
}
