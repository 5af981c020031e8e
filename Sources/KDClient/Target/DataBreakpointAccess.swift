/// What a processor (data) breakpoint watches, as `ba` names it: `w` write, `r` read or write, `e` execute.
/// (KD's `i`, I/O ports, has nothing to watch on this target.)
public enum DataBreakpointAccess: String, Sendable, Equatable, Codable {
  case write = "w"
  case readWrite = "r"
  case execute = "e"
}
