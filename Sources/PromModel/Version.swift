/// promsls's version, sent in `User-Agent: promsls/<version>` and in `promsls_build_info`.
public let promslsVersion = "0.1.0"
