// swift-tools-version: 6.2
import PackageDescription

// An example package using swift-kd's Swift API by path (docs/COMMANDS.md, "Swift API"): `swift run` in this
// directory hunts the default scenario's leak on the embedded target. scripts/test-example.sh builds and runs it.
let package = Package(
  name: "LeakHunt",
  platforms: [.macOS(.v15)],
  // The name makes the dependency `swift-kd` whatever the checkout directory is called.
  dependencies: [.package(name: "swift-kd", path: "../..")],
  targets: [
    .executableTarget(
      name: "LeakHunt", dependencies: [.product(name: "SwiftKD", package: "swift-kd")],
      swiftSettings: [.swiftLanguageMode(.v6)])
  ]
)
