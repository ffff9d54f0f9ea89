/// `/config`: the running configuration as YAML, every secret shown as `<secret>`.
enum ConfigPage {
    static func render(yaml: String) -> String {
        let body = """
            <h1>Configuration</h1>
            <p class="note">The configuration in effect, with defaults filled in and every secret shown as &lt;secret&gt;.</p>
            <pre class="config" id="config-yaml">\(HTML.esc(yaml))</pre>

            """
        return HTML.page(title: "Configuration", active: "/config", body: body)
    }
}
