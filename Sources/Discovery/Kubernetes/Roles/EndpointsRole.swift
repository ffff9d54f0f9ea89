// STUB: replaced by the role's builder.

/// The `endpoints` role of `kubernetes_sd_configs`.
enum KubeEndpointsRole {
    /// Every target group of the role, one per object, for the objects in `cache`.
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] { [] }
}
