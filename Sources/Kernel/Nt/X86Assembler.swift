/// The handful of IA-32 encodings nt's stubs use, written out so every stub is real, readable code.
struct X86Assembler {
  private(set) var bytes: [UInt8] = []
  let origin: UInt32
  var here: UInt32 { origin + UInt32(bytes.count) }

  init(origin: UInt32) { self.origin = origin }

  mutating func emit(_ b: [UInt8]) { bytes += b }
  mutating func imm32(_ v: UInt32) {
    bytes += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
  }

  mutating func prologue() { emit([0x55, 0x8b, 0xec]) }  // push ebp; mov ebp,esp
  mutating func epilogue(ret argBytes: UInt16) {
    emit([0x5d])  // pop ebp
    if argBytes == 0 { emit([0xc3]) } else { emit([0xc2, UInt8(argBytes & 0xff), UInt8(argBytes >> 8)]) }
  }
  /// mov eax, service; int 2Eh
  mutating func service(_ s: NtService) {
    emit([0xb8])
    imm32(s.rawValue)
    emit([0xcd, 0x2e])
  }
  mutating func pushArg(_ index: Int) { emit([0xff, 0x75, UInt8(8 + 4 * index)]) }  // push dword ptr [ebp+8+4i]
  mutating func callArg(_ index: Int) { emit([0xff, 0x55, UInt8(8 + 4 * index)]) }  // call dword ptr [ebp+8+4i]
  mutating func pushImm(_ v: UInt32) {
    if v < 0x80 {
      emit([0x6a, UInt8(v)])
    } else {
      emit([0x68])
      imm32(v)
    }
  }
  mutating func call(_ target: UInt32) {
    let rel = target &- (here + 5)
    emit([0xe8])
    imm32(rel)
  }
  mutating func int3() { emit([0xcc]) }
  mutating func align(_ n: Int) { while bytes.count % n != 0 { emit([0xcc]) } }
}
