import KDKernel
import KDProtocol

extension ReadVirtualMemory: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let count = min(Int(transferCount), replyDataLimit(context.maxPayload))
    guard let address = narrowAddress(address), UInt64(address) + UInt64(count) <= 0x1_0000_0000 else {
      return (
        .accessViolation, .readVirtualMemory(ReadVirtualMemory(address: self.address, transferCount: transferCount))
      )
    }
    let read = context.control.readVirtual(address, count: count)
    let status: NTStatus =
      read.bytes.count == Int(transferCount) ? .success : read.bytes.isEmpty ? .accessViolation : .partialCopy
    return (
      status,
      .readVirtualMemory(
        ReadVirtualMemory(
          address: self.address, transferCount: transferCount, actualBytesRead: UInt32(read.bytes.count),
          data: read.bytes))
    )
  }
}
