/// A CodeView type index: below 0x1000 a simple (built-in) type, from 0x1000 a record of the TPI stream.
public typealias TypeIndex = UInt32

/// One TPI record, decoded for the leaf kinds C compiles to (structures, unions, enums, pointers, arrays, bit
/// fields, procedures and their argument lists, field lists); anything else is kept as its kind.
public enum TypeRecord: Sendable, Equatable {
  case structure(Aggregate)
  case union(Aggregate)
  case enumeration(Enumeration)
  case pointer(referent: TypeIndex, attributes: UInt32)
  case modifier(type: TypeIndex, modifiers: UInt16)
  case array(element: TypeIndex, indexType: TypeIndex, size: UInt64)
  case bitfield(type: TypeIndex, length: UInt8, position: UInt8)
  case procedure(returnType: TypeIndex, callingConvention: UInt8, parameterCount: UInt16, argumentList: TypeIndex)
  case argumentList([TypeIndex])
  case fieldList([Field])
  case other(kind: UInt16)

  /// A structure (LF_STRUCTURE, LF_CLASS) or union.
  public struct Aggregate: Sendable, Equatable {
    public var name: String
    public var memberCount: UInt16
    /// CV_prop_t: 0x80 marks a forward reference (no field list; the definition comes later under the same name).
    public var properties: UInt16
    public var fieldList: TypeIndex
    public var size: UInt64
    public var isForwardReference: Bool { properties & 0x80 != 0 }
  }

  public struct Enumeration: Sendable, Equatable {
    public var name: String
    public var count: UInt16
    public var properties: UInt16
    public var underlyingType: TypeIndex
    public var fieldList: TypeIndex
  }

  public enum Field: Sendable, Equatable {
    case member(name: String, type: TypeIndex, offset: UInt64, attributes: UInt16)
    case enumerate(name: String, value: Int64, attributes: UInt16)
    case nestedType(name: String, type: TypeIndex)
    /// A sub-record this reader does not decode; the rest of the list cannot be found after it.
    case other(kind: UInt16)
  }

  /// The leaf kinds (LF_*) this reader decodes.
  enum Leaf {
    static let modifier: UInt16 = 0x1001, pointer: UInt16 = 0x1002, procedure: UInt16 = 0x1008
    static let argumentList: UInt16 = 0x1201, fieldList: UInt16 = 0x1203, bitfield: UInt16 = 0x1205
    static let enumerate: UInt16 = 0x1502, array: UInt16 = 0x1503, classType: UInt16 = 0x1504
    static let structure: UInt16 = 0x1505, union: UInt16 = 0x1506, enumeration: UInt16 = 0x1507
    static let member: UInt16 = 0x150d, nestedType: UInt16 = 0x1510
  }

  /// `LF_STRUCTURE`, … as llvm-pdbutil names the record's kind.
  public static func kindName(_ kind: UInt16) -> String {
    switch kind {
    case Leaf.modifier: "LF_MODIFIER"
    case Leaf.pointer: "LF_POINTER"
    case Leaf.procedure: "LF_PROCEDURE"
    case Leaf.argumentList: "LF_ARGLIST"
    case Leaf.fieldList: "LF_FIELDLIST"
    case Leaf.bitfield: "LF_BITFIELD"
    case Leaf.array: "LF_ARRAY"
    case Leaf.classType: "LF_CLASS"
    case Leaf.structure: "LF_STRUCTURE"
    case Leaf.union: "LF_UNION"
    case Leaf.enumeration: "LF_ENUM"
    default: "0x" + String(kind, radix: 16)
    }
  }

  /// Decodes one record's body (after its length and kind).
  static func parse(kind: UInt16, body: [UInt8], offset: Int) throws(ImageFormatError) -> TypeRecord {
    var r = ByteReader(body, stream: "TPI record at \(offset)")
    switch kind {
    case Leaf.modifier: return .modifier(type: try r.u32(), modifiers: try r.u16())
    case Leaf.pointer: return .pointer(referent: try r.u32(), attributes: try r.u32())
    case Leaf.procedure:
      let returnType = try r.u32()
      let convention = try r.u8()
      _ = try r.u8()  // function attributes
      let parameters = try r.u16()
      return .procedure(
        returnType: returnType, callingConvention: convention, parameterCount: parameters, argumentList: try r.u32())
    case Leaf.argumentList:
      let n = try r.count(itemSize: 4, what: "an argument count")
      var args: [TypeIndex] = []
      for _ in 0..<n { args.append(try r.u32()) }
      return .argumentList(args)
    case Leaf.bitfield: return .bitfield(type: try r.u32(), length: try r.u8(), position: try r.u8())
    case Leaf.array:
      let element = try r.u32()
      let index = try r.u32()
      let size = try NumericLeaf.read(&r)
      return .array(element: element, indexType: index, size: size.unsigned)
    case Leaf.structure, Leaf.classType, Leaf.union:
      let count = try r.u16()
      let properties = try r.u16()
      let fields = try r.u32()
      if kind != Leaf.union { try r.skip(8) }  // derived-from list, vtable shape
      let size = try NumericLeaf.read(&r)
      let a = Aggregate(
        name: try r.cString(), memberCount: count, properties: properties, fieldList: fields, size: size.unsigned)
      return kind == Leaf.union ? .union(a) : .structure(a)
    case Leaf.enumeration:
      let count = try r.u16()
      let properties = try r.u16()
      let underlying = try r.u32()
      let fields = try r.u32()
      return .enumeration(
        Enumeration(
          name: try r.cString(), count: count, properties: properties, underlyingType: underlying, fieldList: fields))
    case Leaf.fieldList: return .fieldList(try fields(&r))
    default: return .other(kind: kind)
    }
  }

  private static func fields(_ r: inout ByteReader) throws(ImageFormatError) -> [Field] {
    var out: [Field] = []
    while r.remaining >= 2 {
      let kind = try r.u16()
      switch kind {
      case Leaf.member:
        let attributes = try r.u16()
        let type = try r.u32()
        let offset = try NumericLeaf.read(&r)
        out.append(.member(name: try r.cString(), type: type, offset: offset.unsigned, attributes: attributes))
      case Leaf.enumerate:
        let attributes = try r.u16()
        let value = try NumericLeaf.read(&r)
        out.append(.enumerate(name: try r.cString(), value: value.signed, attributes: attributes))
      case Leaf.nestedType:
        try r.skip(2)
        let type = try r.u32()
        out.append(.nestedType(name: try r.cString(), type: type))
      default:
        out.append(.other(kind: kind))
        return out
      }
      // Sub-records are padded to 4 bytes with LF_PAD bytes (0xf0 | n).
      while !r.atEnd, r.bytes[r.offset] >= 0xf0 { r.offset += 1 }
    }
    return out
  }
}
