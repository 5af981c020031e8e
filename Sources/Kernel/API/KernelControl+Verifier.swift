/// Driver Verifier settings and driver unloading, for the debugger's `.verifier` and `.unload` (ours).
extension KernelControl {
  /// The settings stored for the next boot, and those in effect since the last one.
  public func verifierSettings() -> (stored: [VerifierSetting], active: [VerifierSetting]) {
    (kernel.verifierSettings, kernel.currentMachine.verifier?.settings ?? [])
  }

  /// Stores settings for the next boot (a driver already named gets the new flags), as `verifier /flags F /driver
  /// Name.sys` does; returns the stored settings.
  @discardableResult
  public func storeVerifierSettings(_ settings: [VerifierSetting]) throws(KernelError) -> [VerifierSetting] {
    var stored = kernel.verifierSettings
    for s in settings {
      do throws(VerifierSetting.Problem) {
        _ = try VerifierSetting.validated(driver: s.driver, flags: s.flags)
      } catch {
        throw .invalidVerifierSetting(error.description)
      }
      if let i = stored.firstIndex(where: { $0.matches(imageName: s.driver) }) {
        stored[i].flags = s.flags
      } else {
        stored.append(s)
      }
    }
    guard stored.count <= DriverVerifier.maxDrivers else {
      throw .invalidVerifierSetting("at most \(DriverVerifier.maxDrivers) drivers can be verified")
    }
    kernel.verifierSettings = stored
    return stored
  }

  /// Clears the settings for the next boot (`verifier /reset`).
  public func resetVerifierSettings() { kernel.verifierSettings = [] }

  /// Starts a system thread running nt!IopUnloadDriver for the loaded driver named `imageName` (`Abc.sys`, or its
  /// module name `Abc`); it runs when the target does. Returns the thread's id.
  public func unloadDriver(_ imageName: String) throws(KernelError) -> UInt32 {
    let machine = kernel.currentMachine
    let wanted = imageName.lowercased()
    guard
      let module = machine.modules.first(where: {
        $0.imageName.lowercased() == wanted || $0.name.lowercased() == wanted
      })
    else { throw .unknownModule(imageName) }
    guard module.base != KernelLayout.ntBase else { throw .moduleNotUnloadable(imageName) }
    if case .halted(let event) = machine.runState, case .bugCheck(let code, _) = event.reason {
      throw .targetBugChecked(code: code)
    }
    let t = try machine.createThread(
      pc: machine.nt.unloadDriver, stackArgs: [module.base, module.driverObject], startRoutine: machine.nt.unloadDriver)
    return t.id
  }
}
