// swift-tools-version: 6.2
import PackageDescription

// swift-kd: a remote kernel-debugging lab. See README.md.
// No SwiftNIO anywhere in the graph: the server runs on Dispatch sockets and libssl.

let package = Package(
  name: "swift-kd",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "kdserver", targets: ["kdserver"]),
    .executable(name: "kd", targets: ["kd"]),
    .library(name: "KDClient", targets: ["KDClient"]),
    .library(name: "KDProtocol", targets: ["KDProtocol"]),
    // The Swift API (docs/COMMANDS.md, "Swift API"): `Debugger.connect` / `Debugger.embedded`, typed results.
    .library(name: "SwiftKD", targets: ["SwiftKD"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
  ],
  targets: [
    // C system libraries, each a module map plus a small shim.
    .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      name: "CUnicorn", path: "Sources/CUnicorn", pkgConfig: "unicorn", providers: [.apt(["libunicorn-dev"])]),
    .systemLibrary(
      name: "CCapstone", path: "Sources/CCapstone", pkgConfig: "capstone", providers: [.apt(["libcapstone-dev"])]),
    .systemLibrary(name: "CEdit", path: "Sources/CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),

    // Sans-IO wire protocol: bytes in, messages out.
    .target(name: "KDProtocol", path: "Sources/Protocol"),
    // Sans-IO GDB Remote Serial Protocol: packets and requests, for the --gdb-listen endpoint.
    .target(name: "KDGDBRemote", path: "Sources/GDBRemote"),
    // Sans-IO KD serial protocol (kdcom's framing, acknowledgements, resend and reset), for the KDCOM endpoint.
    .target(name: "KDCOM", dependencies: ["KDProtocol"], path: "Sources/KDCOM"),
    // Sans-IO readers of Windows image formats: PE images and PDBs (MSF container, PDB info, DBI, publics, section
    // headers, TPI types), bounds-checked.
    .target(name: "KDImageFormat", path: "Sources/ImageFormat"),
    // The simulated 32-bit kernel: Unicorn-run driver code, pools, modules, threads, breakpoints.
    .target(
      name: "KDKernel", dependencies: ["CUnicorn", "KDImageFormat"], path: "Sources/Kernel",
      resources: [.copy("Scenarios")]),
    // TLS over non-blocking Dispatch sockets, shared by the server and the client; the frame links (TLS and
    // in-memory) that sessions and the client connection use as their only I/O.
    .target(
      name: "KDTransport", dependencies: ["KDProtocol", "COpenSSL", .product(name: "Logging", package: "swift-log")],
      path: "Sources/Transport"),
    .target(
      name: "KDServer",
      dependencies: [
        "KDProtocol", "KDGDBRemote", "KDCOM", "KDKernel", "KDTransport",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .target(
      name: "KDClient",
      dependencies: [
        "KDProtocol", "KDTransport", "CCapstone", "CEdit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // The Swift API: the debugger engine (KDClient) confined to its own queue, over a kdserver or over the kernel
    // embedded in the process (KDServer's session host, KDKernel). KDClient itself never links the kernel.
    .target(
      name: "SwiftKD",
      dependencies: [
        "KDClient", "KDServer", "KDKernel", "KDTransport", .product(name: "Logging", package: "swift-log"),
      ]),
    .executableTarget(name: "kdserver", dependencies: ["KDServer"]),
    .executableTarget(name: "kd", dependencies: ["KDClient", "SwiftKD", "KDTransport"]),
    // libFuzzer target for the frame and payload decoders (see docs/PROTOCOL.md, "Fuzzing").
    .target(name: "CFuzzerSupport", path: "Sources/CFuzzerSupport"),
    .target(name: "KDFuzzHarness", dependencies: ["CFuzzerSupport"], path: "Sources/FuzzHarness"),
    .executableTarget(
      name: "KDGDBRemoteFuzz", dependencies: ["KDGDBRemote", "KDFuzzHarness"], path: "Sources/GDBRemoteFuzz"),
    // libFuzzer target driving real GDB remote sessions and a real kernel over in-memory byte links (docs/GDB.md).
    .executableTarget(
      name: "KDGDBSessionFuzz",
      dependencies: [
        "KDServer", "KDKernel", "KDGDBRemote", "KDTransport", "KDFuzzHarness",
        .product(name: "Logging", package: "swift-log"),
      ], path: "Sources/GDBSessionFuzz"),
    // libFuzzer target for the PE and PDB readers (docs/KERNEL.md, "PE and PDB readers").
    .executableTarget(
      name: "KDImageFormatFuzz", dependencies: ["KDImageFormat", "KDFuzzHarness"], path: "Sources/ImageFormatFuzz"),
    // libFuzzer target for the KDCOM decoder and the target's side of its exchange (docs/WINDBG.md, "Fuzzing").
    .executableTarget(
      name: "KDCOMFuzz", dependencies: ["KDCOM", "KDProtocol", "KDFuzzHarness"], path: "Sources/KDCOMFuzz"),
    .executableTarget(
      name: "KDProtocolFuzz", dependencies: ["KDProtocol", "KDFuzzHarness"], path: "Sources/ProtocolFuzz"),
    // libFuzzer target writing random bytes over a driver function of a real kernel (docs/KERNEL.md, "Fuzzing").
    .executableTarget(name: "KDKernelFuzz", dependencies: ["KDKernel", "KDFuzzHarness"], path: "Sources/KernelFuzz"),
    // libFuzzer target driving real server sessions and a real kernel over in-memory links (docs/PROTOCOL.md, "Fuzzing").
    .executableTarget(
      name: "KDSessionFuzz",
      dependencies: [
        "KDServer", "KDKernel", "KDProtocol", "KDTransport", "KDFuzzHarness",
        .product(name: "Logging", package: "swift-log"),
      ], path: "Sources/SessionFuzz"),
    // Benchmarks (docs/BENCHMARKS.md): `swift run -c release bench [--quick] [--only NAME]`.
    .executableTarget(
      name: "bench",
      dependencies: [
        "KDClient", "KDServer", "KDKernel", "KDTransport", .product(name: "Logging", package: "swift-log"),
      ], path: "Sources/Bench"),

    // Faults-and-load suite (slow, not part of `swift test`): `swift run -c release reliability [--quick]`.
    .executableTarget(
      name: "reliability",
      dependencies: ["KDClient", "KDProtocol", "KDTransport"], path: "Sources/Reliability"),

    .testTarget(name: "KDProtocolTests", dependencies: ["KDProtocol"], path: "Tests/ProtocolTests"),
    .testTarget(name: "KDGDBRemoteTests", dependencies: ["KDGDBRemote"], path: "Tests/GDBRemoteTests"),
    .testTarget(name: "KDCOMTests", dependencies: ["KDCOM", "KDProtocol"], path: "Tests/KDCOMTests"),
    .testTarget(name: "KDKernelTests", dependencies: ["KDKernel", "KDImageFormat"], path: "Tests/KernelTests"),
    .testTarget(name: "KDTransportTests", dependencies: ["KDTransport"], path: "Tests/TransportTests"),
    .target(name: "KDTestSupport", path: "Tests/Support"),
    .testTarget(
      name: "KDServerTests",
      dependencies: ["KDServer", "KDClient", "KDProtocol", "KDGDBRemote", "KDCOM", "KDTransport", "KDTestSupport"],
      path: "Tests/KDServerTests"),
    .testTarget(
      name: "KDClientTests",
      dependencies: ["KDClient", "SwiftKD", "KDServer", "KDProtocol", "KDTransport", "KDTestSupport"],
      path: "Tests/KDClientTests", exclude: ["Golden"]),
    .testTarget(
      name: "KDImageFormatTests", dependencies: ["KDImageFormat", "KDTestSupport"], path: "Tests/ImageFormatTests",
      exclude: ["Fixtures"]),
  ]
)

// One settings loop for every Swift target.
for target in package.targets where target.type != .system && target.name != "CFuzzerSupport" {
  var settings = target.swiftSettings ?? []
  settings.append(.swiftLanguageMode(.v6))
  settings.append(.treatAllWarnings(as: .error))
  target.swiftSettings = settings
}
