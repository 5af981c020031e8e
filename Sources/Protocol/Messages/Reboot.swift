/// DbgKdRebootApi (0x313B): restart the target (`.reboot`). No fields. The simulated kernel reloads its
/// scenario; settings that survive a reboot on Windows (NtGlobalFlag from the registry) survive here.
/// Controller only. The server replies, then sends a running state change.
public struct Reboot: ManipulateBody {
  public static let api = ApiNumber.reboot
  public init() {}
  public init(union u: inout ByteReader, data d: ByteReader) throws(PayloadError) {
    try u.reserved(u.remaining)
    try d.expectEnd()
  }
  public func encode(union u: inout ByteWriter, data d: inout ByteWriter) {}
}
