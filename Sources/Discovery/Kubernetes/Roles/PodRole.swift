// STUB: replaced by the role's builder.

/// The `pod` role of `kubernetes_sd_configs`.
enum KubePodRole {
    /// Every target group of the role, one per object, for the objects in `cache`.
    static func groups(cache: KubeCache, options: KubeRoleOptions) -> [TargetGroup] { [] }
}
