// The part every libFuzzer target here shares: seeding an empty corpus, handing control to libFuzzer when
// built with -DFUZZING -sanitize=fuzzer, and replaying files (a corpus or a crash) in an ordinary build so a
// finding reproduces under a debugger without the fuzzer runtime. docs/PROTOCOL.md, "Fuzzing".
#if canImport(Glibc)
  import Glibc
#endif
#if FUZZING
  import CFuzzerSupport
#endif

public enum FuzzHarness {
  /// The input handler `LLVMFuzzerTestOneInput` calls (set once by `run`, before libFuzzer starts).
  nonisolated(unsafe) static var handler: ([UInt8]) -> Void = { _ in }

  /// Fuzzes (FUZZING builds) or replays the files given (other builds) with `fuzzOne`; `seeds` fill an empty
  /// corpus directory. Exits with libFuzzer's status, or 0 after replaying, 2 for a file it cannot open.
  public static func run(name: String, seeds: () -> [[UInt8]], fuzzOne: @escaping ([UInt8]) -> Void) -> Never {
    handler = fuzzOne
    #if FUZZING
      if let directory = CommandLine.arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) {
        seed(directory, seeds())
      }
      var argc = CommandLine.argc
      var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
      exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
    #else
      let arguments = CommandLine.arguments.dropFirst()
      if arguments.isEmpty {
        print("usage: \(name) FILE... (replays inputs; build with -DFUZZING -sanitize=fuzzer to fuzz)")
      }
      for path in arguments {
        guard let bytes = read(path) else {
          print("\(name): cannot open \(path)")
          exit(2)
        }
        fuzzOne(bytes)
        print("replayed \(path) (\(bytes.count) bytes)")
      }
      exit(0)
    #endif
  }

  /// Writes `seeds` into `directory` when it has no entries.
  static func seed(_ directory: String, _ seeds: [[UInt8]]) {
    guard let listing = opendir(directory) else { return }
    var entries = 0
    while let entry = readdir(listing) {
      // d_name in place: glibc's record ends after the name's NUL, so copying the 256-byte field can read past
      // the end of readdir's buffer (ASan: heap-buffer-overflow on a corpus of ~1000 files).
      let nameAt = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
      let name = String(cString: nameAt.assumingMemoryBound(to: CChar.self))
      if name != "." && name != ".." { entries += 1 }
    }
    closedir(listing)
    guard entries == 0 else { return }
    for (i, seed) in seeds.enumerated() {
      if let file = fopen("\(directory)/seed-\(i)", "wb") {
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
      }
    }
  }

  static func read(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n <= 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
  }
}

// libFuzzer's archive references this symbol even when the driver is started by hand.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data else { return 0 }
  FuzzHarness.handler(Array(UnsafeBufferPointer(start: data, count: size)))
  return 0
}
