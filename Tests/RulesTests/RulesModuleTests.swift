import Testing

@testable import Rules

struct RulesModuleTests {}
