import Foundation
import KDTestSupport
import Testing

/// KD's own output layouts (issue 16, item 1), each pinned from the reference captures against the real
/// embedded target (`kd` with no `--connect`).
@Suite struct KDLayoutTests {
  /// The lines each `kd> command` of `commands` printed (one entry a run of the command).
  static func outputs(_ commands: String, of command: String, _ options: [String] = []) -> [[String]] {
    let out = PoolPageTests.outputs(commands, options)
    return WalkthroughTests.outputs(out, of: command).map {
      $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
  }

  @Test func lnPrintsEachSymbolsOwnAddress() {
    #expect(
      Self.outputs("ln 804d8016; ln nt!ExFreePoolWithTag", of: "ln 804d8016").first == [
        "(804d8000)   nt!ExAllocatePoolWithTag+0x16   |  (804d8020)   nt!ExFreePoolWithTag"
      ])
    #expect(
      Self.outputs("ln nt!ExFreePoolWithTag", of: "ln nt!ExFreePoolWithTag").first?.first
        == "(804d8020)   nt!ExFreePoolWithTag   |  (804d8040)   nt!ExAllocatePool")
  }
}
