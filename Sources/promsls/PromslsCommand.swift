import ArgumentParser

/// `promsls`: runs the agent by default; `check` and `receive` are tools. Entered from
/// `main.swift`.
struct PromslsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promsls",
        abstract: "A lightweight Prometheus scrape agent that remote-writes to Alibaba Cloud SLS Metricstore.",
        version: BuildInfo.versionText,
        subcommands: [AgentCommand.self, CheckCommand.self, ReceiveCommand.self],
        defaultSubcommand: AgentCommand.self
    )
}
