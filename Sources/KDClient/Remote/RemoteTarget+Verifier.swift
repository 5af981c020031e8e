import KDProtocol

/// Driver Verifier settings and driver unloading over the wire (VerifierSettingsApi, UnloadDriverApi; ours).
extension RemoteTarget {
  public func verifierSettings(_ operation: VerifierSettingsOperation) throws(TargetError) -> VerifierSettingList {
    let request: VerifierSettings =
      switch operation {
      case .query: VerifierSettings(operation: .query)
      case .reset: VerifierSettings(operation: .reset)
      case .store(let settings):
        VerifierSettings(operation: .store, settings: settings.map { .init(flags: $0.flags, name: $0.driver) })
      }
    guard case .verifierSettings(let reply) = try checked("VerifierSettings", .verifierSettings(request)).body
    else {
      throw .refused(
        operation: "VerifierSettings", status: NTStatus.protocolError.rawValue, message: "mismatched reply")
    }
    func local(_ s: [VerifierSettings.Setting]) -> [VerifierSettingList.Setting] {
      s.map { .init(driver: $0.name, flags: $0.flags) }
    }
    return VerifierSettingList(stored: local(reply.settings), active: local(reply.active))
  }

  public func unloadDriver(_ name: String) throws(TargetError) -> UInt32 {
    guard case .unloadDriver(let reply) = try checked("UnloadDriver", .unloadDriver(UnloadDriver(name: name))).body
    else {
      throw .refused(operation: "UnloadDriver", status: NTStatus.protocolError.rawValue, message: "mismatched reply")
    }
    return reply.thread
  }
}
