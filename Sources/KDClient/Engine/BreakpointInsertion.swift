/// KD puts breakpoints in the target when it resumes it: one that could not be written (`bp 0`) is kept, and every
/// `g`/`p`/`t` tries again and reports KD's failure instead of running; a deferred one (`bu`, or a `bp` whose
/// symbol did not resolve) is resolved once its module and symbol are there.
extension Session {
  /// KD's report when breakpoint `id` at `address` cannot be written (the target refused the write).
  static func insertFailure(id: Int, address: UInt32, symbolic: Bool) -> [String] {
    var lines = ["Unable to insert breakpoint \(id) at \(Hex.d8(address)), Win32 error 0n998"]
    lines.append("    \"Invalid access to memory location.\"")
    if !symbolic {
      lines.append("The breakpoint was set with BP.  If you want breakpoints")
      lines.append("to track module load/unload state you must use BU.")
    }
    lines.append("\(symbolic ? "bu" : "bp")\(id) at \(Hex.d8(address)) failed")
    lines.append("WaitForEvent failed")
    return lines
  }

  /// Before the target runs: resolves deferred breakpoints whose symbol now exists and writes every enabled
  /// breakpoint not yet in the target. Throws KD's report (the target stays halted) when one cannot be written.
  func insertPendingBreakpoints() throws(CommandError) {
    if breakpoints.values.contains(where: { $0.enabled && $0.unresolved }) { try resolveDeferredBreakpoints() }
    for id in breakpoints.keys.sorted() {
      guard var bp = breakpoints[id], bp.enabled, !bp.unresolved, bp.handle == nil else { continue }
      do {
        bp.handle = try bp.insert(into: target)
      } catch .refused {
        throw .message(Self.insertFailure(id: id, address: bp.address, symbolic: bp.symbolic).joined(separator: "\n"))
      } catch {
        throw .target(error)
      }
      breakpoints[id] = bp
    }
  }

  /// Evaluates the expressions of unresolved breakpoints again over a fresh module list.
  func resolveDeferredBreakpoints() throws(CommandError) {
    try reloadModules(loadSymbols: false)
    for id in breakpoints.keys.sorted() {
      guard var bp = breakpoints[id], bp.unresolved else { continue }
      var p = ExpressionParser(bp.expression, context: self)
      guard let address = try? p.parseAddress(), p.atEnd else { continue }
      bp.address = address
      bp.unresolved = false
      breakpoints[id] = bp
    }
  }
}
