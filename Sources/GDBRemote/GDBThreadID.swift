/// A thread-id as packets carry it: `-1` (all threads), `0` (any thread), or a positive hex id, optionally in
/// the multiprocess form `p<pid>.<tid>` (the pid is accepted and ignored: one process, the kernel).
public enum GDBThreadID: Equatable, Sendable, CustomStringConvertible {
  case all
  case any
  case thread(UInt64)

  public var description: String {
    switch self {
    case .all: "-1"
    case .any: "0"
    case .thread(let id): GDBHex.number(id)
    }
  }
}
