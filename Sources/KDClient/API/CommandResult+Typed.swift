/// Typed views of a result for Swift callers (docs/COMMANDS.md, "Swift API"): each is nil unless the command
/// produced that kind of result. The text is always in `lines`.
extension CommandResult {
  /// `!poolused`: one entry per tag, in the command's order.
  public var poolUsage: [PoolTrackerEntry]? { (output as? PoolUsed.Output)?.entries }

  /// `k`, `kb`, `kv`, `kp`, `kn`: the frames, innermost first.
  public var stackFrames: [StackTraceFrame]? {
    (output as? StackTrace.Output)?.frames.map {
      StackTraceFrame(
        childEBP: $0.childEBP, returnAddress: $0.returnAddress, args: $0.args,
        instructionPointer: $0.instructionPointer,
        symbol: $0.symbol)
    }
  }

  /// `db`, `dw`, `dd`, `dq`, `dc`, `dp`, `da`, `du`: what was read.
  public var memory: MemoryBlock? {
    guard let o = output as? DisplayMemory.Output else { return nil }
    return MemoryBlock(format: o.format, address: o.address, unitSize: o.unitSize, values: o.values)
  }

  /// `lm`: the loaded modules listed (their symbols are not part of the result).
  public var modules: [Module]? {
    (output as? ListModules.Output)?.rows.map {
      Module(
        name: $0.name, imageName: $0.image, fullPath: $0.path, base: $0.start, size: $0.end &- $0.start,
        checkSum: $0.checkSum, timeDateStamp: $0.timeDateStamp)
    }
  }

  /// `!poolmon`: the PoolMon sample.
  public var poolMon: PoolMonView? { output as? PoolMonView }
}
