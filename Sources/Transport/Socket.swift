#if canImport(Glibc)
  import Glibc
#endif

/// The socket system calls the transport uses, on raw descriptors. Whoever holds a descriptor closes it.
enum Socket {
  /// A non-blocking listening socket bound to `address`.
  static func listen(on address: SocketAddress, backlog: Int32 = 128) throws(TransportError) -> Int32 {
    let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .system("socket", "cannot listen on \(address)") }
    var one: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = address.withSockAddr { bind(fd, $0, $1) }
    if bound != 0 {
      let error = TransportError.system("bind", "cannot listen on \(address)")
      close(fd)
      throw error
    }
    if Glibc.listen(fd, backlog) != 0 {
      let error = TransportError.system("listen", "cannot listen on \(address)")
      close(fd)
      throw error
    }
    do throws(TransportError) {
      try setNonBlocking(fd)
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  /// Connects to the first of `addresses` that answers before `deadline`; the socket is non-blocking,
  /// with TCP_NODELAY.
  static func connect(to addresses: [SocketAddress], deadline: ContinuousClock.Instant) throws(TransportError) -> Int32
  {
    var lastError = TransportError(.configuration, "no address to connect to")
    for address in addresses {
      do throws(TransportError) {
        return try connect(to: address, deadline: deadline)
      } catch {
        lastError = error
        if error.code == .timeout { break }
      }
    }
    throw lastError
  }

  private static func connect(to address: SocketAddress, deadline: ContinuousClock.Instant) throws(TransportError)
    -> Int32
  {
    let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .system("socket", "cannot connect to \(address)") }
    do throws(TransportError) {
      try setNonBlocking(fd)
      setNoDelay(fd)
      setKeepAlive(fd)
      let started = address.withSockAddr { Glibc.connect(fd, $0, $1) }
      if started != 0 {
        guard errno == EINPROGRESS else { throw .system("connect", "cannot connect to \(address)") }
        guard try wait(fd, for: Int16(POLLOUT), until: deadline) else {
          throw TransportError(.timeout, "connect to \(address) did not finish in time", call: "connect")
        }
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) == 0 else {
          throw .system("getsockopt(SO_ERROR)", "cannot connect to \(address)")
        }
        if failure != 0 { throw .system("connect", "cannot connect to \(address)", errno: failure) }
      }
      return fd
    } catch {
      close(fd)
      throw error
    }
  }

  /// Polls `fd` for `events` until `deadline`; false when the deadline passed first.
  static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws(TransportError)
    -> Bool
  {
    while true {
      let remaining = ContinuousClock.now.duration(to: deadline)
      if remaining <= .zero { return false }
      var entry = pollfd(fd: fd, events: events, revents: 0)
      let milliseconds = Int32(clamping: remaining.milliseconds + 1)
      let ready = poll(&entry, 1, milliseconds)
      if ready > 0 { return true }
      if ready < 0 && errno != EINTR { throw .system("poll", "waiting for the socket") }
    }
  }

  static func setNonBlocking(_ fd: Int32) throws(TransportError) {
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
      throw .system("fcntl(O_NONBLOCK)", "cannot make the socket non-blocking")
    }
  }

  /// Small protocol messages go out at once (best effort: a failure only costs latency).
  static func setNoDelay(_ fd: Int32) {
    var one: Int32 = 1
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
  }

  /// TCP keepalive: an idle peer that has vanished (host down, cable cut, NAT state lost) is noticed and the
  /// connection closed after `idle` + `count` x `interval` (defaults: 60 s + 6 x 10 s) instead of never.
  /// Best effort, like TCP_NODELAY.
  static let keepAliveIdleSeconds: Int32 = 60
  static let keepAliveIntervalSeconds: Int32 = 10
  static let keepAliveCount: Int32 = 6

  static func setKeepAlive(_ fd: Int32) {
    var one: Int32 = 1
    var idle = keepAliveIdleSeconds
    var interval = keepAliveIntervalSeconds
    var count = keepAliveCount
    let size = socklen_t(MemoryLayout<Int32>.size)
    _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, size)
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, size)
  }

  static func localAddress(_ fd: Int32) -> SocketAddress? {
    let (result, address) = SocketAddress.filled { getsockname(fd, $0, $1) }
    return result == 0 ? address : nil
  }
}

extension Duration {
  /// Whole milliseconds, rounded down; at least 0.
  var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
  }

  /// Seconds for messages: `0.5 s`, `10 s`.
  var secondsText: String {
    let ms = milliseconds
    return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
  }
}
