/// A minimal DOS + PE32 header at a module's base, so what the debugger reads there (`.reload`, `lm`,
/// `db <base>`) is a plausible image header carrying the module's real size, stamp and checksum.
enum PEHeader {
  static func build(base: UInt32, sizeOfImage: UInt32, timestamp: UInt32, checksum: UInt32, entry: UInt32) -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 0x200)
    func put16(_ o: Int, _ v: UInt16) {
      h[o] = UInt8(v & 0xff)
      h[o + 1] = UInt8(v >> 8)
    }
    func put32(_ o: Int, _ v: UInt32) { for i in 0..<4 { h[o + i] = UInt8(v >> (8 * UInt32(i)) & 0xff) } }
    h[0] = 0x4d
    h[1] = 0x5a  // MZ
    put32(0x3c, 0x80)  // e_lfanew
    h[0x80] = 0x50
    h[0x81] = 0x45  // PE\0\0
    let f = 0x84  // IMAGE_FILE_HEADER
    put16(f, 0x14c)
    put16(f + 2, 0)
    put32(f + 4, timestamp)
    put16(f + 16, 0xe0)
    put16(f + 18, 0x010e)
    let o = f + 20  // IMAGE_OPTIONAL_HEADER32
    put16(o, 0x10b)
    put32(o + 16, entry == 0 ? 0 : entry &- base)
    put32(o + 28, base)
    put32(o + 32, 0x1000)
    put32(o + 36, 0x200)
    put16(o + 40, 5)
    put16(o + 42, 1)
    put16(o + 48, 5)
    put16(o + 50, 1)
    put32(o + 56, sizeOfImage)
    put32(o + 60, 0x1000)
    put32(o + 64, checksum)
    put16(o + 68, 1)  // subsystem native
    put32(o + 92, 16)  // NumberOfRvaAndSizes
    return h
  }
}
