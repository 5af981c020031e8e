// libFuzzer target for guest code: each input is written over Faulty!FaultyTouch (and what follows it) in a
// real kernel booted on the faultNullWrite scenario, whose thread calls that function after 100 ms; the target
// then runs for 300 ms of virtual time. Every outcome must be a halt the debugger is told about: a bug check
// (KiBugCheckData holding its code and parameters, the pc at nt!KeBugCheckEx's int 3), a break (an int 3 or
// the trap flag in the input) or the time limit. A host trap, a sanitizer report, a hang or any other outcome
// is a finding. Same build and replay as KDProtocolFuzz (KDFuzzHarness); docs/KERNEL.md, "Fuzzing".
import Dispatch
import KDFuzzHarness
import KDKernel
import Synchronization

/// One kernel for the whole run; each input reboots it (a fresh machine) before the bytes go in.
final class KernelUnderFuzz: Sendable {
  let kernel: Kernel
  let target: UInt32
  let keBugCheckEx: ClosedRange<UInt32>
  let kiBugCheckData: UInt32
  private let halted = DispatchSemaphore(value: 0)
  private let last = Mutex<BreakEvent?>(nil)
  static let virtualBudget: UInt64 = 3_000_000  // 300 ms
  static let maxInput = 512

  init() {
    do {
      kernel = try Kernel(configuration: KernelConfiguration(scenario: "faultNullWrite", pace: 0))
      (target, keBugCheckEx, kiBugCheckData) = try kernel.sync { c in
        func symbol(_ module: String, _ name: String) -> KernelSymbol? {
          guard let base = c.modules().first(where: { $0.name == module })?.base else { return nil }
          return c.symbols(moduleBase: base)?.first { $0.name == name }
        }
        guard let touch = symbol("Faulty", "FaultyTouch"), let bugCheck = symbol("nt", "KeBugCheckEx"),
          let data = symbol("nt", "KiBugCheckData")
        else { return (0, 0...0, 0) }
        return (touch.address, bugCheck.address...bugCheck.address + bugCheck.size - 1, data.address)
      }
    } catch {
      fatalError("KDKernelFuzz: cannot boot faultNullWrite: \(error)")
    }
    precondition(target != 0, "KDKernelFuzz: Faulty!FaultyTouch or nt's symbols are missing")
    kernel.setEventHandler { [self] event in  // lives as long as the process: the cycle is harmless
      guard case .halted(let e) = event else { return }
      last.withLock { $0 = e }
      halted.signal()
    }
  }

  func fuzzOne(_ data: [UInt8]) {
    guard !data.isEmpty else { return }
    let code = Array(data.prefix(Self.maxInput))
    while halted.wait(timeout: .now()) == .success {}
    last.withLock { $0 = nil }
    let written = try? kernel.sync { c throws(KernelError) in
      try c.reboot()
      c.haltAt(virtualTime: c.virtualTime + Self.virtualBudget)
      return c.writeVirtual(target, code).written
    }
    guard written == code.count else { fatalError("could not write \(code.count) bytes over Faulty!FaultyTouch") }
    // A hang guard far above the budget (spinning code is preempted every 100 ms of wall time).
    guard halted.wait(timeout: .now() + 60) == .success, let event = last.withLock({ $0 }) else {
      fatalError("no halt within 60 s of wall time")
    }
    switch event.reason {
    case .bugCheck(let bugCode, let parameters):
      let data = try? kernel.sync { c in c.readVirtual(kiBugCheckData, count: 20).bytes }
      let words = (data ?? []).chunks4
      guard words == [bugCode] + parameters else {
        fatalError("bug check \(bugCode) \(parameters) but KiBugCheckData holds \(words)")
      }
      guard keBugCheckEx.contains(event.pc) else {
        fatalError("bug check \(bugCode) halted at \(event.pc), not in nt!KeBugCheckEx")
      }
    case .timeLimit, .hardcoded, .singleStep: break
    case .breakIn, .breakpoint, .dataBreakpoint: fatalError("unexpected halt \(event.reason): nobody asked for it")
    }
  }
}

extension Array where Element == UInt8 {
  var chunks4: [UInt32] {
    stride(from: 0, to: count - 3, by: 4).map { i in
      UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
  }
}

/// Seeds: x86 that faults, breaks, loops, calls nt by int 2Eh with odd service numbers, sets the trap flag.
func seeds() -> [[UInt8]] {
  [
    [0xc3],  // ret: a normal run
    [0x31, 0xc0, 0x8b, 0x00],  // xor eax,eax; mov eax,[eax]
    [0xcc, 0xc3],  // int 3
    [0xeb, 0xfe],  // jmp $
    [0xb8, 0xff, 0xff, 0x00, 0x00, 0xcd, 0x2e, 0xc3],  // mov eax,0ffffh; int 2Eh
    [0xb8, 0x03, 0x00, 0x00, 0x00, 0xcd, 0x2e, 0xc3],  // KeDelayExecutionThread with the caller's frame
    [0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0xc3],  // pushfd; or [esp],100h; popfd
    [0x0f, 0x0b],  // ud2
    [0xf4],  // hlt
    [0xcd, 0x80],  // int 80h
    [0x31, 0xc9, 0xf7, 0xf1],  // div ecx (0)
    [0x50, 0xeb, 0xfd],  // push eax in a loop: runs off the stack
    [0x50, 0xeb, 0xff, 0xeb, 0xff],  // push eax; jmp into "ff eb" (ljmp ebx, #UD): Unicorn 2.0.1's translator aborts
    [0x6a, 0xeb, 0x6a, 0xf4, 0xeb, 0xfd],  // push; push; hlt in a loop: waits for clock ticks
    [0xb8, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xe0],  // mov eax,0fffffff0h; jmp eax: the engine's stop address
  ]
}

let fuzzer = KernelUnderFuzz()
FuzzHarness.run(name: "KDKernelFuzz", seeds: seeds, fuzzOne: fuzzer.fuzzOne)
