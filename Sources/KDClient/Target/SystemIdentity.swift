/// What KD's banner and `vertarget` read from the target's memory beyond the version reply: the product type and
/// suite mask in KUSER_SHARED_DATA (0xffdf0000 on x86), the build lab string (nt!NtBuildLab) and the time since
/// boot (KUSER_SHARED_DATA's InterruptTime). Each is nil when the target does not have it.
public struct SystemIdentity: Sendable, Equatable {
  public static let sharedUserData: UInt32 = 0xffdf_0000

  public var productType: UInt32?
  public var suiteMask: UInt32?
  public var buildLab: String?
  /// 100 ns units since boot.
  public var interruptTime: UInt64?

  /// `Product: Server, suite: Enterprise TerminalServer SingleUserTS`.
  public var productLine: String? {
    guard let productType, let suiteMask else { return nil }
    let product = [1: "WinNt", 2: "LanManNt", 3: "Server"][productType] ?? "<\(productType)>"
    let suites = [
      "SmallBusiness", "Enterprise", "BackOffice", "CommunicationServer", "TerminalServer", "SmallBusinessRestricted",
      "EmbeddedNT", "DataCenter", "SingleUserTS", "Personal", "Blade", "EmbeddedRestricted", "SecurityAppliance",
      "StorageServer", "ComputeServer",
    ]
    let names = suites.indices.filter { suiteMask & (1 << UInt32($0)) != 0 }.map { suites[$0] }
    return "Product: \(product), suite: \(names.joined(separator: " "))"
  }

  public var builtByLine: String? { buildLab.map { "Built by: \($0)" } }

  /// `System Uptime: 0 days 0:00:20.534`, or KD's `not available`.
  public var uptimeLine: String {
    guard let t = interruptTime else { return "System Uptime: not available" }
    let ms = t / 10_000
    let (days, rest) = ms.quotientAndRemainder(dividingBy: 86_400_000)
    let h = rest / 3_600_000
    let m = rest / 60_000 % 60
    let s = rest / 1000 % 60
    func dec(_ v: UInt64, _ width: Int = 2) -> String { String(v).leftPadded(to: width, with: "0") }
    return "System Uptime: \(days) days \(h):\(dec(m)):\(dec(s)).\(dec(rest % 1000, 3))"
  }

  /// KUSER_SHARED_DATA's InterruptTime, the target's time since boot in 100 ns units (virtual time here); nil
  /// when the target has no such page or the read caught it mid-update twice.
  public static func interruptTime(from target: any DebugTarget) -> UInt64? {
    for _ in 0..<2 {
      guard let b = try? target.readVirtual(sharedUserData + 8, count: 12), b.count == 12 else { return nil }
      // KSYSTEM_TIME: consistent when High1Time equals High2Time.
      if b.u32(at: 4) == b.u32(at: 8) { return UInt64(b.u32(at: 4)) << 32 | UInt64(b.u32(at: 0)) }
    }
    return nil
  }

  /// Reads what the target has; a field whose memory or symbol is missing stays nil.
  public static func read(from target: any DebugTarget, version: TargetVersion) -> SystemIdentity {
    var id = SystemIdentity()
    func u32(_ a: UInt32) -> UInt32? {
      guard let b = try? target.readVirtual(a, count: 4), b.count == 4 else { return nil }
      return b.u32(at: 0)
    }
    let valid = u32(sharedUserData + 0x268) == 1
    id.productType = valid ? u32(sharedUserData + 0x264) : nil
    id.suiteMask = valid ? u32(sharedUserData + 0x2d0) : nil
    id.interruptTime = interruptTime(from: target)
    if let lab = (try? target.symbols(moduleBase: version.kernelBase))?.first(where: { $0.name == "NtBuildLab" }),
      let bytes = try? target.readVirtual(lab.address, count: Int(min(lab.size, 0x100)))
    {
      let text = bytes.prefix { $0 != 0 }
      if !text.isEmpty, text.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
        id.buildLab = String(decoding: text, as: UTF8.self)
      }
    }
    return id
  }
}
