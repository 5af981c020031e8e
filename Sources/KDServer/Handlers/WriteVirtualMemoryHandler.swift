import KDKernel
import KDProtocol

extension WriteVirtualMemory: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let address = narrowAddress(address), UInt64(address) + UInt64(data.count) <= 0x1_0000_0000 else {
      return (.accessViolation, .writeVirtualMemory(reply(written: 0)))
    }
    let result = context.control.writeVirtual(address, data)
    let status: NTStatus =
      result.written == data.count ? .success : result.written == 0 ? .accessViolation : .partialCopy
    return (status, .writeVirtualMemory(reply(written: UInt32(result.written))))
  }
}
