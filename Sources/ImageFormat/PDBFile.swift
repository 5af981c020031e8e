/// A program database read whole: its identity (GUID, age), the image's sections, the public symbols and the
/// types, every part bounds-checked (docs/KERNEL.md, "PE and PDB readers"). Sans-IO: give it the file's bytes.
public struct PDBFile: Sendable {
  public let msf: MSFFile
  public let info: PDBInfo
  public let dbi: DBIStream
  public let types: TypeStream
  public let sections: [SectionHeader]
  public let publics: [PublicSymbol]
  /// Each structure's or union's definition by name (the first one; forward references resolve through it).
  private let definitions: [String: TypeIndex]

  public init(bytes: [UInt8]) throws(ImageFormatError) {
    msf = try MSFFile(bytes: bytes)
    info = try PDBInfo(try msf.stream(1, context: "PDB info stream"))
    types = try TypeStream(try msf.stream(2, context: "TPI stream"))
    dbi = try DBIStream(try msf.stream(3, context: "DBI stream"))
    if let i = dbi.sectionHeaderStream {
      sections = try SectionHeader.parse(try msf.stream(i, context: "section headers"))
    } else {
      sections = []
    }
    if let p = dbi.publicsStream, let s = dbi.symbolRecordStream {
      publics = try PublicsStream.symbols(
        publics: try msf.stream(p, context: "publics stream"), records: try msf.stream(s, context: "symbol records"))
    } else {
      publics = []
    }
    var found: [String: TypeIndex] = [:]
    for index in types.indices {
      guard let kind = types.kind(index), [0x1504, 0x1505, 0x1506].contains(kind) else { continue }
      switch try types.record(index) {
      case .structure(let a)?, .union(let a)?:
        if !a.isForwardReference && found[a.name] == nil { found[a.name] = index }
      default: continue
      }
    }
    definitions = found
  }

  /// A member of a structure as `dt` lists it: its offset, name, type and, for a bit field, its bits.
  public struct Member: Sendable, Equatable {
    public var offset: UInt64
    public var name: String
    public var type: TypeIndex
    public var typeName: String
    public var bitPosition: UInt8?
    public var bitLength: UInt8?
  }

  /// The definition of the structure or union named `name` (not its forward references).
  public func aggregate(named name: String) throws(ImageFormatError) -> (
    index: TypeIndex, aggregate: TypeRecord.Aggregate
  )? {
    guard let index = definitions[name] else { return nil }
    switch try types.record(index) {
    case .structure(let a)?, .union(let a)?: return (index, a)
    default: return nil
    }
  }

  /// The names of every structure and union defined.
  public var aggregateNames: [String] { definitions.keys.sorted() }

  /// The members of a structure or union, in declaration order.
  public func members(of name: String) throws(ImageFormatError) -> [Member]? {
    guard let (_, a) = try aggregate(named: name) else { return nil }
    guard case .fieldList(let fields)? = try types.record(a.fieldList) else { return [] }
    var out: [Member] = []
    for case .member(let memberName, let type, let offset, _) in fields {
      var m = Member(offset: offset, name: memberName, type: type, typeName: try typeName(type))
      if case .bitfield(let underlying, let length, let position)? = try types.record(type) {
        m.bitPosition = position
        m.bitLength = length
        m.typeName = try typeName(underlying)
      }
      out.append(m)
    }
    return out
  }

  /// A C spelling of a type: `unsigned long`, `_LIST_ENTRY*`, `unsigned char[16]`, `void (*)(int, char*)` is
  /// written `<function>*`. Cycles and absurd depths end in `?`.
  public func typeName(_ index: TypeIndex, depth: Int = 0) throws(ImageFormatError) -> String {
    if index < 0x1000 { return Self.simpleTypeName(index) }
    guard depth < 32, let record = try types.record(index) else { return "?" }
    switch record {
    case .structure(let a), .union(let a): return a.name
    case .enumeration(let e): return e.name
    case .pointer(let referent, _): return try typeName(referent, depth: depth + 1) + "*"
    case .modifier(let type, let modifiers):
      var prefix = ""
      if modifiers & 1 != 0 { prefix += "const " }
      if modifiers & 2 != 0 { prefix += "volatile " }
      return prefix + (try typeName(type, depth: depth + 1))
    case .array(let element, _, let size):
      let elementName = try typeName(element, depth: depth + 1)
      let elementSize = try self.size(of: element)
      return elementSize.map { $0 > 0 ? "\(elementName)[\(size / $0)]" : elementName + "[]" } ?? elementName + "[]"
    case .bitfield(let type, _, _): return try typeName(type, depth: depth + 1)
    case .procedure: return "<function>"
    default: return "?"
    }
  }

  /// Bytes a type occupies on x86; nil where it cannot be told.
  public func size(of index: TypeIndex, depth: Int = 0) throws(ImageFormatError) -> UInt64? {
    if index < 0x1000 { return Self.simpleTypeSize(index) }
    guard depth < 32, let record = try types.record(index) else { return nil }
    switch record {
    case .structure(let a), .union(let a):
      if a.isForwardReference { return try aggregate(named: a.name)?.aggregate.size }
      return a.size
    case .enumeration(let e): return try size(of: e.underlyingType, depth: depth + 1)
    case .pointer: return 4
    case .modifier(let type, _): return try size(of: type, depth: depth + 1)
    case .array(_, _, let size): return size
    case .bitfield(let type, _, _): return try self.size(of: type, depth: depth + 1)
    default: return nil
    }
  }

  /// Names of CodeView's built-in types (the low byte), with a pointer mode in bits 8-11.
  static func simpleTypeName(_ index: TypeIndex) -> String {
    let base: String =
      switch index & 0xff {
      case 0x03: "void"
      case 0x10: "signed char"
      case 0x20: "unsigned char"
      case 0x70: "char"
      case 0x71: "wchar_t"
      case 0x11, 0x72: "short"
      case 0x21, 0x73: "unsigned short"
      case 0x12: "long"
      case 0x22: "unsigned long"
      case 0x74: "int"
      case 0x75: "unsigned int"
      case 0x13, 0x76: "__int64"
      case 0x23, 0x77: "unsigned __int64"
      case 0x30: "bool"
      case 0x40: "float"
      case 0x41: "double"
      case 0x68: "signed char"
      case 0x69: "unsigned char"
      default: "<simple 0x\(String(index & 0xff, radix: 16))>"
      }
    return (index >> 8) & 0xf == 0 ? base : base + "*"
  }

  static func simpleTypeSize(_ index: TypeIndex) -> UInt64? {
    if (index >> 8) & 0xf != 0 { return 4 }
    switch index & 0xff {
    case 0x10, 0x20, 0x70, 0x68, 0x69, 0x30: return 1
    case 0x11, 0x21, 0x71, 0x72, 0x73: return 2
    case 0x12, 0x22, 0x74, 0x75, 0x40: return 4
    case 0x13, 0x23, 0x76, 0x77, 0x41: return 8
    default: return nil
    }
  }
}
