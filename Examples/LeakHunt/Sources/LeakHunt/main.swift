// The leak hunt of docs/WALKTHROUGH.md in ten lines of Swift: let the embedded target run, rank the pool tags,
// stop at the top tag's next allocation or free (PoolHitTag), and show who called it.
import SwiftKD

let kd = try await Debugger.embedded(scenario: "default")
_ = try await kd.run(".runfor 2")  // let the drivers allocate for two seconds, then break in
let top = try await kd.run("!poolused 4")[0].poolUsage![0]  // sorted by paged bytes: the biggest first
print("top tag '\(top.tagText)': \(top.pagedOutstanding) paged blocks, \(top.pagedBytes) bytes")
let hit = try await kd.run("ed nt!PoolHitTag '\(top.tagText.reversedTag)'; g", timeout: .seconds(30)).last!
print("break: \(hit.event!.kind) at 0x\(String(hit.event!.pc, radix: 16))")
for frame in try await kd.run("kb 3")[0].stackFrames! {
  print("  \(frame.symbol)  returns to 0x\(String(frame.returnAddress, radix: 16))")
}
print(try await kd.run("!poolused 4 \(top.tagText)")[0].lines.joined(separator: "\n"))

extension String {
  /// A tag as a MASM character constant: ' cbA' is the DWORD whose bytes in memory read "Abc ".
  var reversedTag: String { String(reversed()) }
}
