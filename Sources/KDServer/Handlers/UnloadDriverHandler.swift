import KDKernel
import KDProtocol

extension UnloadDriver: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    let thread = try context.control.unloadDriver(name)
    return (.success, .unloadDriver(UnloadDriver(name: name, thread: thread)))
  }
}
