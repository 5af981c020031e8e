import KDKernel
import KDProtocol

extension GetContext: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard case .halted = context.control.runState else { throw .notHalted }
    let registers = try context.control.context(thread: thread == 0 ? nil : thread)
    return (.success, .getContext(GetContext(thread: thread, context: KDProtocol.X86Context(registers))))
  }
}

extension KDProtocol.X86Context {
  init(_ c: KDKernel.X86Context) {
    self.init(registers: [
      c.eax, c.ebx, c.ecx, c.edx, c.esi, c.edi, c.ebp, c.esp, c.eip, c.eflags, c.cs, c.ss, c.ds, c.es, c.fs, c.gs,
    ])
  }
}

extension KDKernel.X86Context {
  init(_ c: KDProtocol.X86Context) {
    self.init()
    (eax, ebx, ecx, edx, esi, edi, ebp, esp) = (c.eax, c.ebx, c.ecx, c.edx, c.esi, c.edi, c.ebp, c.esp)
    (eip, eflags, cs, ss, ds, es, fs, gs) = (c.eip, c.eflags, c.cs, c.ss, c.ds, c.es, c.fs, c.gs)
  }
}
