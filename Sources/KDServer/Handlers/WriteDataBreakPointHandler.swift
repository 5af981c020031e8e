import KDKernel
import KDProtocol

extension WriteDataBreakPoint: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let target = narrowAddress(address) else {
      return (.invalidParameter, .writeDataBreakPoint(self))
    }
    let kind: DataAccess =
      switch access {
      case .write: .write
      case .readWrite: .readWrite
      case .execute: .execute
      case .read: .read
      }
    let handle = try context.control.setDataBreakpoint(address: target, size: size, access: kind)
    return (
      .success, .writeDataBreakPoint(WriteDataBreakPoint(address: address, size: size, access: access, handle: handle))
    )
  }
}

extension RestoreDataBreakPoint: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    try context.control.removeDataBreakpoint(handle: handle)
    return (.success, .restoreDataBreakPoint(self))
  }
}
