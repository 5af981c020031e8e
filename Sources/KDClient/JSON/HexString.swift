/// A machine word that `--json` writes as a hex string (`"0x804d7000"`): addresses, register values, pointers,
/// memory units and expression values (docs/kd-json.schema.json, `hex32` and `hex`). Swift code reads the plain
/// integer through the wrapped value.
@propertyWrapper
public struct HexString<Value: HexStringValue>: Sendable, Equatable, Codable {
  public var wrappedValue: Value

  public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

  public func encode(to encoder: any Encoder) throws { try wrappedValue.encodeHex(to: encoder) }

  public init(from decoder: any Decoder) throws { wrappedValue = try Value(hexFrom: decoder) }
}

/// The integer shapes `HexString` writes: 32-bit words as `0x` and 8 digits, 64-bit values as `0x` and as
/// many digits as they need; optionals as null (a nil field is left out), arrays element by element.
public protocol HexStringValue: Sendable, Equatable {
  func encodeHex(to encoder: any Encoder) throws
  init(hexFrom decoder: any Decoder) throws
}

extension HexStringValue {
  fileprivate static func parse<T: FixedWidthInteger>(_ decoder: any Decoder, as: T.Type) throws -> T {
    let c = try decoder.singleValueContainer()
    let s = try c.decode(String.self)
    guard s.hasPrefix("0x"), let v = T(s.dropFirst(2), radix: 16) else {
      throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not a 0x-prefixed hex number")
    }
    return v
  }
}

extension UInt32: HexStringValue {
  public func encodeHex(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode("0x" + Hex.d8(self))
  }
  public init(hexFrom decoder: any Decoder) throws { self = try Self.parse(decoder, as: UInt32.self) }
}

extension UInt64: HexStringValue {
  public func encodeHex(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode("0x" + String(self, radix: 16))
  }
  public init(hexFrom decoder: any Decoder) throws { self = try Self.parse(decoder, as: UInt64.self) }
}

extension Optional: HexStringValue where Wrapped: HexStringValue {
  public func encodeHex(to encoder: any Encoder) throws {
    guard let self else {
      var c = encoder.singleValueContainer()
      try c.encodeNil()
      return
    }
    try self.encodeHex(to: encoder)
  }
  public init(hexFrom decoder: any Decoder) throws {
    self = try decoder.singleValueContainer().decodeNil() ? nil : Wrapped(hexFrom: decoder)
  }
}

extension Array: HexStringValue where Element: HexStringValue {
  public func encodeHex(to encoder: any Encoder) throws {
    var c = encoder.unkeyedContainer()
    for e in self { try e.encodeHex(to: c.superEncoder()) }
  }
  public init(hexFrom decoder: any Decoder) throws {
    var c = try decoder.unkeyedContainer()
    var out: [Element] = []
    while !c.isAtEnd { out.append(try Element(hexFrom: c.superDecoder())) }
    self = out
  }
}

// A nil optional is left out of its object, as the synthesized coding does for plain optionals.
extension KeyedEncodingContainer {
  public mutating func encode<W: HexStringValue>(_ value: HexString<W?>, forKey key: Key) throws {
    guard let v = value.wrappedValue else { return }
    try v.encodeHex(to: superEncoder(forKey: key))
  }
}

extension KeyedDecodingContainer {
  public func decode<W: HexStringValue>(_ type: HexString<W?>.Type, forKey key: Key) throws -> HexString<W?> {
    try decodeIfPresent(type, forKey: key) ?? HexString(wrappedValue: nil)
  }
}
