extension Machine {
  /// nt!IopUnloadDriver(ModuleBase, DriverObject), on the system thread an unload request starts
  /// (``KernelControl/unloadDriver``), after ``beginUnload()`` ended the driver's threads and its DriverUnload
  /// routine ran: as MmUnloadSystemImage does
  /// with Driver Verifier's Pool Tracking on, a verified driver with allocations outstanding bug-checks
  /// DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) with 0x62, the address of its name (the UNICODE_STRING in its
  /// verifier entry), the entry, and the number of allocations not freed. Otherwise the driver leaves
  /// PsLoadedModuleList and the module list and is recorded in nt's unloaded-driver ring (`MmUnloadedDrivers`,
  /// which `lm` lists as "Unloaded modules:"); its image stays mapped; its leaks stay in the pools.
  func unloadDriver() {
    guard let index = unloadingModule() else {
      eventHandler(.debugPrint("IopUnloadDriver: no driver is loaded at \(hex(arg(0)))\n"))
      setResult(0xC000_0034)  // STATUS_OBJECT_NAME_NOT_FOUND
      return
    }
    let module = modules[index]
    if let verifier, let d = verifier.driver(named: module.imageName) {
      let outstanding = verifier.outstanding(d)
      if verifier.drivers[d].flags & VerifierSetting.poolTracking != 0, outstanding > 0 {
        let entry = verifier.drivers[d].entry
        serviceBugCheck(code: 0xC4, parameters: [0x62, entry + DriverVerifier.Entry.baseName, entry, outstanding])
        return
      }
      verifier.unloaded(d)
    }
    LoadedModuleList.remove(entry: module.ldrEntry, pools: pools, emulator: emulator)
    UnloadedDrivers.record(
      in: nt, name: module.imageName, start: module.base, end: module.base &+ module.size, time: clock.now)
    removeModule(at: index)
    setResult(0)
  }

  /// nt!IopUnloadDriver's first step: the driver's threads end (those started in its code and those running it);
  /// eax = its DriverUnload routine (DRIVER_OBJECT +0x34, written by the driver), or 0.
  func beginUnload() {
    guard let index = unloadingModule() else {
      setResult(0)
      return
    }
    let module = modules[index]
    func inModule(_ address: UInt32) -> Bool { address >= module.base && address - module.base < module.size }
    for t in scheduler.threads where t !== currentThread && !t.isIdle && (inModule(t.startRoutine) || inModule(t.eip)) {
      t.state = .terminated
    }
    setResult(module.driverObject == 0 ? 0 : emulator.readU32(module.driverObject &+ 0x34) ?? 0)
  }

  /// The loaded driver (not nt) at nt!IopUnloadDriver's ModuleBase argument.
  private func unloadingModule() -> Int? {
    let moduleBase = arg(0)
    guard let index = modules.firstIndex(where: { $0.base == moduleBase }), index > 0 else { return nil }
    return index
  }
}
