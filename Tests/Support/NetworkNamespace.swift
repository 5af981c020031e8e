import Foundation

/// A network namespace of this test run with its own address, joined to the host by a veth pair: a "machine" on a
/// network of its own, as the daemon's users have. Needs root and iproute2; `available` says whether this host can.
public final class NetworkNamespace: Sendable {
  public let name: String
  /// The namespace's address, reachable from the host.
  public let address: String
  /// The host's end of the link.
  public let hostAddress: String
  private let hostLink: String

  /// Whether namespaces can be made here (root, `ip` present, netns allowed), and why not.
  public static let availability: (Bool, String) = {
    guard geteuid() == 0 else { return (false, "not root: creating a network namespace needs CAP_SYS_ADMIN") }
    guard
      FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
    else { return (false, "iproute2's `ip` is not installed") }
    let probe = "kdprobe\(getpid())"
    let made = run(ipPath, ["netns", "add", probe])
    guard made.status == 0 else { return (false, "`ip netns add` failed: \(made.stderr)") }
    run(ipPath, ["netns", "del", probe])
    return (true, "")
  }()

  public static var available: Bool { availability.0 }

  static var ipPath: String {
    FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"
  }

  public init() throws {
    let tag = UInt32(getpid() % 200) + 20
    let subnet = "10.\(tag).\(UInt8.random(in: 1...250))"
    name = "kdwalk\(getpid())\(UInt16.random(in: 0...9999))"
    hostLink = "veth\(String(name.suffix(9)))"
    address = subnet + ".2"
    hostAddress = subnet + ".1"
    let inner = "vethin\(getpid() % 100000)"
    let ip = Self.ipPath
    let steps: [[String]] = [
      ["netns", "add", name],
      ["link", "add", hostLink, "type", "veth", "peer", "name", inner],
      ["link", "set", inner, "netns", name],
      ["addr", "add", hostAddress + "/24", "dev", hostLink],
      ["link", "set", hostLink, "up"],
      ["netns", "exec", name, ip, "addr", "add", address + "/24", "dev", inner],
      ["netns", "exec", name, ip, "link", "set", inner, "up"],
      ["netns", "exec", name, ip, "link", "set", "lo", "up"],
    ]
    for step in steps {
      let result = run(ip, step)
      if result.status != 0 {
        tearDown()
        throw TestFailure("ip \(step.joined(separator: " ")) failed: \(result.stderr)")
      }
    }
  }

  /// Runs a command inside the namespace: prefix for `KDServerProcess(wrapper:)`.
  public var wrapper: [String] { [Self.ipPath, "netns", "exec", name] }

  public func tearDown() {
    run(Self.ipPath, ["link", "del", hostLink])
    run(Self.ipPath, ["netns", "del", name])
  }

  deinit { tearDown() }
}
