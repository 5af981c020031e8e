/// KD's x86 frame walk: follow saved EBPs from the thread's EBP, reading kernel memory. Never empty: the
/// current frame is always there.
///
/// A thread stopped where its routine has no EBP frame of its own (on the prologue's `push ebp` or
/// `mov ebp,esp`, or on the `ret` after the epilogue) still has its return address on the stack: that frame
/// comes first, its return address and arguments read from ESP, and the walk goes on from EBP in the caller,
/// so the caller is not skipped (a breakpoint on a function's first instruction shows who called it).
enum StackWalker {
  /// `code(address, count)` reads code as the debugger sees it (breakpoints hidden; fewer bytes where memory
  /// ends).
  static func walk(
    ebp start: UInt32, esp: UInt32, eip: UInt32, emulator: Emulator, maxFrames: Int,
    code: (UInt32, Int) -> [UInt8]
  ) -> [StackFrame] {
    var frames: [StackFrame] = []
    var ebp = start
    var ip = eip
    if maxFrames > 0, let top = frameless(esp: esp, eip: eip, emulator: emulator, code: code) {
      frames.append(StackFrame(childEBP: start, returnAddress: top.ret, args: top.args, instructionPointer: eip))
      ip = top.ret
      if top.ret == 0 { return frames }
    }
    while frames.count < maxFrames, ebp != 0, ebp & 3 == 0 {
      guard let saved = emulator.readU32(ebp), let ret = emulator.readU32(ebp &+ 4) else { break }
      frames.append(
        StackFrame(childEBP: ebp, returnAddress: ret, args: args(at: ebp &+ 8, emulator), instructionPointer: ip))
      guard saved > ebp, ret != 0 else { break }
      ebp = saved
      ip = ret
    }
    // KD always shows the frame the thread is in, even where no EBP frame exists yet (a thread stopped before
    // its routine's prologue ran).
    if frames.isEmpty, maxFrames > 0 {
      frames.append(StackFrame(childEBP: start, returnAddress: 0, args: [], instructionPointer: eip))
    }
    return frames
  }

  /// The return address and arguments of a routine stopped outside its EBP frame, nil when it is inside one.
  private static func frameless(
    esp: UInt32, eip: UInt32, emulator: Emulator, code read: (UInt32, Int) -> [UInt8]
  ) -> (ret: UInt32, args: [UInt32])? {
    let code = read(eip, 3)
    guard let first = code.first else { return nil }
    let movEbpEsp = code.count >= 2 && ((code[0] == 0x8b && code[1] == 0xec) || (code[0] == 0x89 && code[1] == 0xe5))
    let retAt: UInt32
    if first == 0x55, code.count >= 3, (code[1] == 0x8b && code[2] == 0xec) || (code[1] == 0x89 && code[2] == 0xe5) {
      retAt = esp  // on `push ebp` of `push ebp; mov ebp,esp`
    } else if movEbpEsp, eip > 0, read(eip &- 1, 1) == [0x55] {
      retAt = esp &+ 4  // `push ebp` ran: the caller's EBP is on top, the return address under it
    } else if first == 0xc3 || first == 0xc2 {
      retAt = esp  // on the `ret` after the epilogue restored the caller's EBP
    } else {
      return nil
    }
    guard let ret = emulator.readU32(retAt) else { return nil }
    return (ret, args(at: retAt &+ 4, emulator))
  }

  private static func args(at address: UInt32, _ emulator: Emulator) -> [UInt32] {
    var args: [UInt32] = []
    for i in 0..<4 {
      guard let a = emulator.readU32(address &+ UInt32(4 * i)) else { break }
      args.append(a)
    }
    return args
  }
}
