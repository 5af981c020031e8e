import KDKernel
import KDProtocol

extension VerifierSettings: RequestHandler {
  static var mutates: Bool { true }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    switch operation {
    case .query: break
    case .store:
      guard !settings.isEmpty else { return (.invalidParameter, .verifierSettings(self)) }
      try context.control.storeVerifierSettings(settings.map { VerifierSetting(driver: $0.name, flags: $0.flags) })
    case .reset: context.control.resetVerifierSettings()
    }
    let (stored, active) = context.control.verifierSettings()
    func wire(_ s: [VerifierSetting]) -> [Setting] { s.map { Setting(flags: $0.flags, name: $0.driver) } }
    return (
      .success, .verifierSettings(VerifierSettings(operation: operation, settings: wire(stored), active: wire(active)))
    )
  }
}
