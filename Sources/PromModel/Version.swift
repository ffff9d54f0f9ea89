/// promsls's version: the one place it is written. Sent in `User-Agent: promsls/<version>`,
/// printed by `promsls --version`, a label of `prometheus_build_info`, and the version of the
/// Debian package (`make package` reads it from this line).
public let promslsVersion = "0.1.0"
