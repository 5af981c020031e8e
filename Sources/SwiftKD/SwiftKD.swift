// SwiftKD: the Swift API of swift-kd (docs/COMMANDS.md, "Swift API"). `import SwiftKD` brings `Debugger` and the
// result types it returns (CommandResult, BreakEvent, PoolTrackerEntry, StackTraceFrame, MemoryBlock, Module,
// PoolMonView), which live in KDClient, the engine `kd` runs on; this module's `Debugger` shadows the engine's.
@_exported public import KDClient
