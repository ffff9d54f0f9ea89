import ArgumentParser

@main
struct PromslsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promsls", abstract: "Prometheus scrape agent for SLS Metricstore")
    func run() async throws { print("promsls") }
}
