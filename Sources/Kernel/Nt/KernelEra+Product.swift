/// What the kernel says it is, per era: the product type and suite mask in KUSER_SHARED_DATA and the build lab
/// string in nt!NtBuildLab, as the real releases' values (debuggers print them: `Product: Server, suite:
/// Enterprise TerminalServer SingleUserTS`, `Built by: 3790.srv03_sp2_rtm.070216-1710`).
extension KernelEra {
  /// NT_PRODUCT_TYPE: 1 NtProductWinNt (workstation), 3 NtProductServer.
  var productType: UInt32 { self == .xp ? 1 : 3 }
  /// VER_SUITE_* bits: 0x2 Enterprise, 0x10 TerminalServer, 0x100 SingleUserTS.
  var suiteMask: UInt32 { self == .xp ? 0x110 : 0x112 }
  var majorVersion: UInt32 { 5 }
  var minorVersion: UInt32 { self == .xp ? 1 : 2 }
  var buildLab: String { self == .xp ? "2600.xpsp_sp2_rtm.040803-2158" : "3790.srv03_sp2_rtm.070216-1710" }
}
