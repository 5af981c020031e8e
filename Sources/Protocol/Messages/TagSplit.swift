/// TagSplitApi (0x3178, new): virtual tag splitting (ours; `!tagsplit`). While a tag is split the server gives
/// each call site allocating it a sub-tag, substituted at allocation time; merging rewrites the outstanding
/// blocks' tags and folds the sub-tags' counters back into the tag's.
///
/// u: `Operation u32 @16` (0 list, 1 split, 2 merge), `Tag u32 @20` (merge: 0 = every split tag; list: ignored),
/// `Count u32 @24` (out). Reply data: Count × `Tag u32, SubTag u32, CallSite u32`: every sub-tag (list), the
/// tag's sub-tags so far (split), the sub-tags merged (merge).
public struct TagSplit: ManipulateBody {
  public static let api = ApiNumber.tagSplit

  public enum Operation: UInt32, Sendable {
    case list = 0
    case split = 1
    case merge = 2
  }

  public struct Assignment: Equatable, Sendable {
    public static let size = 12
    public var tag: UInt32
    public var subTag: UInt32
    public var callSite: UInt32

    public init(tag: UInt32, subTag: UInt32, callSite: UInt32) {
      self.tag = tag
      self.subTag = subTag
      self.callSite = callSite
    }
  }

  public var operation: Operation
  public var tag: UInt32
  public var assignments: [Assignment]

  public init(operation: Operation, tag: UInt32 = 0, assignments: [Assignment] = []) {
    self.operation = operation
    self.tag = tag
    self.assignments = assignments
  }

  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    let operationAt = u.absoluteOffset
    let raw = try u.u32()
    guard let operation = Operation(rawValue: raw) else {
      throw .invalidValue(field: "Operation", found: UInt64(raw), offset: operationAt)
    }
    self.operation = operation
    tag = try u.u32()
    let countAt = u.absoluteOffset
    let count = Int(try u.u32())
    try u.reserved(u.remaining)
    var d = d
    if d.remaining != count * Assignment.size {
      throw .lengthMismatch(field: "Count", expected: count * Assignment.size, found: d.remaining, offset: countAt)
    }
    assignments = []
    for _ in 0..<count {
      assignments.append(Assignment(tag: try d.u32(), subTag: try d.u32(), callSite: try d.u32()))
    }
    try d.expectEnd()
  }

  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {
    u.u32(operation.rawValue)
    u.u32(tag)
    u.u32(UInt32(assignments.count))
    for a in assignments {
      d.u32(a.tag)
      d.u32(a.subTag)
      d.u32(a.callSite)
    }
  }
}
