#if canImport(Glibc)
  import Glibc
#endif

/// An IPv4 or IPv6 socket address, as stored by the kernel.
struct SocketAddress: CustomStringConvertible {
  private var storage = sockaddr_storage()
  private(set) var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

  init() {}

  var family: Int32 { Int32(storage.ss_family) }

  /// Fills an address from a call that writes a `sockaddr` (`accept`, `getsockname`, `getpeername`).
  static func filled(by call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32)
    -> (result: Int32, address: SocketAddress)
  {
    var address = SocketAddress()
    let result = withUnsafeMutablePointer(to: &address.storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { call($0, &address.length) }
    }
    return (result, address)
  }

  func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    withUnsafePointer(to: storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
    }
  }

  var port: UInt16 {
    withSockAddr { pointer, _ in
      switch Int32(pointer.pointee.sa_family) {
      case AF_INET:
        pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
      case AF_INET6:
        pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
      default: 0
      }
    }
  }

  /// The numeric host: `127.0.0.1` or `::1`.
  var host: String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    let ok: Bool = withSockAddr { pointer, _ in
      switch Int32(pointer.pointee.sa_family) {
      case AF_INET:
        pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
          var addr = sin.pointee.sin_addr
          return inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil
        }
      case AF_INET6:
        pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
          var addr = sin6.pointee.sin6_addr
          return inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil
        }
      default: false
      }
    }
    guard ok else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x; false for wildcard and every other address.
  var isLoopback: Bool {
    let text = host
    return text.hasPrefix("127.") || text == "::1" || text.hasPrefix("::ffff:127.")
  }

  /// `127.0.0.1:54321` or `[::1]:54321`.
  var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

  /// Resolves `host` (a name, a numeric address, or `[v6]`) and `port` to stream addresses, in the
  /// resolver's order. `passive` makes an empty host or `*` mean "any address".
  static func resolve(host: String, port: UInt16, passive: Bool) throws(TransportError) -> [SocketAddress] {
    let bare = unbracketed(host)
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
    var list: UnsafeMutablePointer<addrinfo>?
    let wildcard = bare.isEmpty || bare == "*"
    let status = getaddrinfo(wildcard ? nil : bare, String(port), &hints, &list)
    guard status == 0, let list else {
      let why = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
      throw TransportError(.configuration, "cannot resolve \"\(host)\": \(why)", call: "getaddrinfo")
    }
    defer { freeaddrinfo(list) }
    var addresses: [SocketAddress] = []
    var entry: UnsafeMutablePointer<addrinfo>? = list
    while let current = entry {
      if let source = current.pointee.ai_addr,
        current.pointee.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size)
      {
        var address = SocketAddress()
        withUnsafeMutableBytes(of: &address.storage) { target in
          target.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(current.pointee.ai_addrlen)))
        }
        address.length = current.pointee.ai_addrlen
        addresses.append(address)
      }
      entry = current.pointee.ai_next
    }
    guard !addresses.isEmpty else { throw TransportError(.configuration, "no address for \"\(host)\"") }
    return addresses
  }

  /// `[::1]` -> `::1`; anything else unchanged.
  /// The address without its port: `127.0.0.1` of `127.0.0.1:54321`, `::1` of `[::1]:54321`.
  static func hostPart(of peer: String) -> String {
    guard let colon = peer.lastIndex(of: ":") else { return peer }
    return unbracketed(String(peer[..<colon]))
  }

  static func unbracketed(_ host: String) -> String {
    guard host.hasPrefix("["), host.hasSuffix("]") else { return host }
    return String(host.dropFirst().dropLast())
  }

  /// True for a numeric IPv4 or IPv6 address (these get IP-address checks, and no SNI).
  static func isNumeric(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    let bare = unbracketed(host)
    return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
  }
}
