// The `.offThePool` trait (Tests/OffThePool) for every file of this target.
@_exported import OffThePool
