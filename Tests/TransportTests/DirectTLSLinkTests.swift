import Foundation
import KDProtocol
import KDTransport
import Synchronization
import Testing

/// The client's fast path against a real TLS echo server: a thread that waits reads its own reply; a frame that
/// arrives while nobody waits is read by the background reader.
@Suite struct DirectTLSLinkTests {
  final class Collector: Sendable {
    let frames = Mailbox<(Frame, UInt)>()
    let closes = Mailbox<TransportError?>()
    let count = Mutex(0)

    func handle(_ event: FrameLinkEvent) {
      switch event {
      case .frame(let frame):
        count.withLock { $0 += 1 }
        frames.put((frame, UInt(pthread_self())))
      case .closed(let error): closes.put(error)
      case .malformed, .partialFrame: break
      }
    }
  }

  @Test func waiterReadsItsOwnReplyAndIdleFramesReachTheBackgroundReader() throws {
    let pki = try TestPKI.get()
    let server = try TestServer.withPKI()
    defer { server.stop() }
    let link = try TLSClient.connectDirect(
      host: "127.0.0.1", port: server.port, options: TLSClientOptions(caPath: pki.caPath), timeout: .seconds(20))
    let collector = Collector()
    link.start { collector.handle($0) }
    let me = UInt(pthread_self())

    // Nobody waits: the echo comes back through the background reader, on another thread.
    link.send(Message.breakIn.encoded(packetId: 0))
    let (idle, idleThread) = try #require(collector.frames.take())
    #expect(idle.leader == .breakIn)
    #expect(idleThread != me)

    // This thread waits (it says so before sending, as RemoteConnection does): it reads the echo itself.
    let frame = Message.manipulate(ManipulateState(.getVersion(GetVersion()))).encoded(packetId: 42)
    link.reserve()
    link.send(frame)
    #expect(link.pump(until: { collector.count.withLock { $0 } >= 2 }, deadline: .now + .seconds(20)))
    link.unreserve()
    let (echoed, echoThread) = try #require(collector.frames.take())
    #expect(echoed.packetId == 42)
    #expect(echoThread == me)

    // Nothing more comes: the wait ends at its deadline.
    #expect(!link.pump(until: { collector.count.withLock { $0 } >= 3 }, deadline: .now + .milliseconds(50)))

    link.close(flush: true)
    #expect(collector.closes.take() != nil)
  }
}
