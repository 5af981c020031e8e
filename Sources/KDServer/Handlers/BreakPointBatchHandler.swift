import KDKernel
import KDProtocol

extension WriteBreakPointEx: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    var reply = self
    for i in reply.entries.indices {
      guard let address = narrowAddress(reply.entries[i].address) else {
        reply.entries[i].status = .invalidParameter
        continue
      }
      do {
        reply.entries[i].handle = try context.control.setBreakpoint(at: address)
        reply.entries[i].status = .success
      } catch {
        reply.entries[i].status = error.status
      }
    }
    let allSet = reply.entries.allSatisfy { $0.status == .success }
    return (allSet ? .success : .unsuccessful, .writeBreakPointEx(reply))
  }
}

extension RestoreBreakPointEx: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    var reply = self
    for i in reply.entries.indices {
      do {
        try context.control.removeBreakpoint(handle: reply.entries[i].handle)
        reply.entries[i].status = .success
      } catch {
        reply.entries[i].status = error.status
      }
    }
    let allRemoved = reply.entries.allSatisfy { $0.status == .success }
    return (allRemoved ? .success : .unsuccessful, .restoreBreakPointEx(reply))
  }
}
