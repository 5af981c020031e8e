import Glibc

/// Anonymous host memory that backs emulated memory through `uc_mem_map_ptr`, so Swift services read
/// and write pool headers and kernel tables with plain loads and stores. Reserved with MAP_NORESERVE:
/// untouched pages cost nothing.
final class HostMemory {
  let pointer: UnsafeMutableRawPointer
  let size: Int

  init(size: Int, what: String) throws(KernelError) {
    let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
    guard let p, p != MAP_FAILED else { throw .outOfMemory(what: "\(what): mmap of \(size) bytes, errno \(errno)") }
    pointer = p
    self.size = size
  }

  deinit { munmap(pointer, size) }

  @inline(__always) func load(_ offset: UInt32) -> UInt32 {
    UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self))
  }

  @inline(__always) func store(_ offset: UInt32, _ value: UInt32) {
    pointer.storeBytes(of: value.littleEndian, toByteOffset: Int(offset), as: UInt32.self)
  }

  func storeBytes(_ offset: UInt32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { (pointer + Int(offset)).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
  }
}
