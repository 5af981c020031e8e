/// KD's x86 frame walk: follow saved EBPs from the thread's EBP, reading kernel memory. Never empty: the
/// current frame is always there.
enum StackWalker {
  static func walk(ebp start: UInt32, eip: UInt32, emulator: Emulator, maxFrames: Int) -> [StackFrame] {
    var frames: [StackFrame] = []
    var ebp = start
    var ip = eip
    while frames.count < maxFrames, ebp != 0, ebp & 3 == 0 {
      guard let saved = emulator.readU32(ebp), let ret = emulator.readU32(ebp &+ 4) else { break }
      var args: [UInt32] = []
      for i in 0..<4 {
        guard let a = emulator.readU32(ebp &+ 8 &+ UInt32(4 * i)) else { break }
        args.append(a)
      }
      frames.append(StackFrame(childEBP: ebp, returnAddress: ret, args: args, instructionPointer: ip))
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
}
