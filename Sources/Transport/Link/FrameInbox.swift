import KDProtocol

/// The receiving half both links share: bytes in, and frames handed out one at a time only while the owner's
/// output budget allows. Lives on its link's queue.
struct FrameInbox {
  enum Step {
    case frame(Frame)
    /// Every whole frame was delivered; `partial` tells whether part of one is buffered.
    case drained(partial: Bool)
    /// Output is over budget: frames wait in the decoder until it drains.
    case waiting
    /// The stream is malformed (returned once); nothing more is delivered.
    case malformed(FrameError)
    case stopped
  }

  private var decoder = FrameDecoder(maxPayload: Limits.hardMaxPayload)
  private(set) var stopped = false

  mutating func feed(_ bytes: [UInt8]) {
    if !stopped { decoder.feed(bytes) }
  }

  mutating func setMaxPayload(_ bytes: Int) {
    decoder.maxPayload = min(max(bytes, 0), Limits.hardMaxPayload)
  }

  mutating func stop() { stopped = true }

  /// The next thing to deliver. One frame at a time, so the handler runs outside this mutation and may change
  /// the inbox (a hello sets the negotiated payload size before the next frame is decoded).
  mutating func next(mustWait: Bool) -> Step {
    if stopped { return .stopped }
    if mustWait { return .waiting }
    do {
      guard let frame = try decoder.next() else { return .drained(partial: decoder.isInsideFrame) }
      return .frame(frame)
    } catch {
      stopped = true
      return .malformed(error)
    }
  }
}
