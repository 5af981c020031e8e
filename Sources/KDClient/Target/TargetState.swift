/// Whether the target runs or sits stopped at a break event.
public enum TargetState: Sendable, Equatable {
  case running
  case halted(BreakEvent)

  public var isHalted: Bool {
    if case .halted = self { return true }
    return false
  }
}
