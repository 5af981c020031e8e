/// Native services behind nt's exports. An export's stub loads its number into eax and executes
/// `int 2Eh`; the interrupt hook runs the Swift service with EIP already past the `int 2Eh`.
enum NtService: UInt32, CaseIterable {
  case allocatePool = 1
  case freePool
  case delayExecution
  case createSystemThread
  case terminateSystemThread
  case random
  case debugPrint
  case querySystemTime
  case bugCheck
  case memset
  case memcpy
  case memmove
  case driverLoaded
  case currentThread
  case currentThreadId
  case yieldExecution
  case beginUnload
  case unloadDriver

  /// Virtual time one call costs (100 ns units) when running as fast as possible.
  static let callCost: UInt64 = 10
}
