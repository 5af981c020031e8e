import KDKernel
import KDProtocol

extension GetSymbolFile: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let base = narrowAddress(moduleBase), let file = context.control.symbolFile(moduleBase: base) else {
      return (.invalidParameter, .getSymbolFile(GetSymbolFile(moduleBase: moduleBase)))
    }
    guard let file else { return (.success, .getSymbolFile(GetSymbolFile(moduleBase: moduleBase, kind: .exports))) }
    return (
      .success,
      .getSymbolFile(
        GetSymbolFile(moduleBase: moduleBase, kind: .pdb, age: file.age, guid: file.guid, pdbName: file.pdbName))
    )
  }
}
