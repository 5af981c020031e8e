import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The floor under every round trip here: plain TCP between two processes, blocking sockets, a thread per
/// connection, TCP_NODELAY, no TLS. `bench --serve-tcp-echo` echoes every byte back; prints `READY <port>`.
enum PlainTCP {
  static func serve() throws -> Never {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard listener >= 0, bound == 0, listen(listener, 16) == 0 else { throw BenchError.failed("tcp echo: bind/listen") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    Report.writeLine("READY \(UInt16(bigEndian: address.sin_port))")
    while true {
      let fd = accept(listener, nil, nil)
      guard fd >= 0 else { continue }
      noDelay(fd)
      let thread = Thread {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
          let n = read(fd, &buffer, buffer.count)
          if n <= 0 { break }
          var sent = 0
          while sent < n {
            let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + sent, n - sent) }
            if w <= 0 { break }
            sent += w
          }
        }
        close(fd)
      }
      thread.start()
    }
  }

  /// Sorted round-trip latencies of `count` 64-byte ping-pongs (after `warmup` unmeasured ones).
  static func pingPong(port: UInt16, count: Int, warmup: Int = 200) throws -> [Double] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard fd >= 0, connected == 0 else { throw BenchError.failed("tcp echo: connect") }
    defer { close(fd) }
    noDelay(fd)
    var message = [UInt8](repeating: 0x50, count: 64)
    func once() throws {
      guard write(fd, &message, 64) == 64 else { throw BenchError.failed("tcp echo: write") }
      var got = 0
      while got < 64 {
        let n = message.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 64 - got) }
        guard n > 0 else { throw BenchError.failed("tcp echo: closed") }
        got += n
      }
    }
    for _ in 0..<warmup { try once() }
    return try Measure.latencies(count: count) { _ in try once() }
  }

  private static func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x0100_007F).littleEndian
    return address
  }

  private static func noDelay(_ fd: Int32) {
    var one: Int32 = 1
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
  }
}
