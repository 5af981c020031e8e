// libFuzzer target for the frame decoder and every payload decoder.
//
// Built with -DFUZZING and -sanitize=fuzzer (see docs/PROTOCOL.md, "Fuzzing"), SwiftPM links the executable with
// `main` = `KDProtocolFuzz_main`, which hands control to libFuzzer. Built normally, it replays files given on the
// command line (a corpus or a crash), so a crash reproduces under a debugger without the fuzzer runtime.
import KDProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// Feeds `data` to a frame decoder in two pieces (split by the first byte) and decodes every frame it yields;
/// then decodes the raw bytes as each payload type directly. Any crash, hang or trap is a finding.
func fuzzOne(_ data: [UInt8]) {
  guard !data.isEmpty else { return }
  let split = Int(data[0]) % data.count
  var decoder = FrameDecoder(maxPayload: Limits.hardMaxPayload)
  decoder.feed(data[1..<max(1, split)])
  decoder.feed(data[max(1, split)...])
  while true {
    guard let frame = try? decoder.next() else { break }
    if let message = try? Message(frame: frame) {
      // What decodes must re-encode to the same frame.
      let again = message.frame(packetId: frame.packetId)
      if case .unknown = message {
      } else if again.payload != frame.payload {
        // Reserved bits and optional tails are validated, so a decoded payload is canonical.
        fatalError("re-encoding changed the payload of \(frame.type)")
      }
    }
  }
  let payload = Array(data.dropFirst())
  _ = try? ManipulateState(decoding: payload)
  _ = try? StateChange(decoding: payload)
  _ = try? Hello(decoding: payload)
  _ = try? HelloReply(decoding: payload)
  _ = try? Goodbye(decoding: payload)
  _ = try? DebugIO(decoding: payload)
}

#if FUZZING
  import CFuzzerSupport

  // libFuzzer's archive references this symbol even when the driver is started by hand.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
  }

  var argc = CommandLine.argc
  var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
  exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
#else
  let arguments = CommandLine.arguments.dropFirst()
  if arguments.isEmpty {
    print("usage: KDProtocolFuzz FILE... (replays inputs; build with -DFUZZING -sanitize=fuzzer to fuzz)")
  }
  for path in arguments {
    guard let file = fopen(path, "rb") else {
      print("KDProtocolFuzz: cannot open \(path)")
      exit(2)
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n <= 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
    }
    fclose(file)
    fuzzOne(bytes)
    print("replayed \(path) (\(bytes.count) bytes)")
  }
#endif
