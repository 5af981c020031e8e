import KDProtocol
import Testing

@Suite struct PayloadErrorTests {
  func manipulatePayload(_ body: Manipulate) -> [UInt8] { ManipulateState(body).encoded() }

  @Test func unknownApiNumberIsKeptForANotImplementedReply() throws {
    var payload = manipulatePayload(.reboot(Reboot()))
    payload[0] = 0x99
    let decoded = try ManipulateState(decoding: payload)
    #expect(decoded.api == ApiNumber(rawValue: 0x3199))
    guard case .unknown(let api, _, _) = decoded.body else {
      Issue.record("expected .unknown")
      return
    }
    #expect(api.rawValue == 0x3199)
  }

  /// Found by the fuzzer (KDProtocolFuzz, 30 s run on branch harden-kernel): a load-symbols or running state
  /// change with a nonzero break reason decoded and re-encoded with 0. Only an exception carries a reason.
  @Test func breakReasonIsReservedOutsideExceptions() {
    for detail: StateChange.Detail in [
      .running, .loadSymbols(StateChange.LoadedImage(path: "Abc.sys", base: 0xf7a0_0000, checksum: 0, sizeOfImage: 1)),
    ] {
      var payload = StateChange(detail: detail).encoded()
      payload[14] = 1
      #expect(throws: PayloadError.reservedNotZero(found: 0x1_0000, offset: 16 + 12)) {
        try StateChange(decoding: payload)
      }
    }
  }

  /// Found by the fuzzer: FirstChance 0x100 decoded as true and re-encoded as 1. Booleans are 0 or 1 only.
  @Test func booleanFieldsTakeZeroOrOne() {
    var payload = Samples.breakEvent.encoded()
    payload[185] = 1
    #expect(throws: PayloadError.invalidValue(field: "FirstChance", found: 0x101, offset: 16 + 184)) {
      try StateChange(decoding: payload)
    }
    var load = StateChange(
      detail: .loadSymbols(
        StateChange.LoadedImage(path: "Abc.sys", base: 0xf7a0_0000, checksum: 0, sizeOfImage: 0x3000))
    )
    .encoded()
    load[64] = 2
    #expect(throws: PayloadError.invalidValue(field: "UnloadSymbols", found: 2, offset: 16 + 64)) {
      try StateChange(decoding: load)
    }
  }

  @Test func truncatedManipulateHeaderNamesOffset() {
    let payload = Array(manipulatePayload(.reboot(Reboot()))[0..<30])
    #expect(throws: PayloadError.truncated(needed: 40, available: 14, offset: 32)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func reservedHeaderWordMustBeZero() {
    var payload = manipulatePayload(.reboot(Reboot()))
    payload[12] = 1
    #expect(throws: PayloadError.reservedNotZero(found: 1, offset: 28)) { try ManipulateState(decoding: payload) }
  }

  @Test func readReplyDataMustMatchActualCount() {
    var payload = manipulatePayload(
      .readVirtualMemory(ReadVirtualMemory(address: 0x1000, transferCount: 4, actualBytesRead: 4, data: [1, 2, 3, 4])))
    payload[28] = 3
    #expect(throws: PayloadError.lengthMismatch(field: "ActualBytesRead", expected: 3, found: 4, offset: 44)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func contextOfWrongSizeIsRefused() {
    let payload = manipulatePayload(.getContext(GetContext(thread: 0))) + [1, 2, 3]
    #expect(throws: PayloadError.lengthMismatch(field: "CONTEXT", expected: 64, found: 3, offset: 72)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func breakpointBatchCountMustMatchData() {
    var payload = manipulatePayload(.writeBreakPointEx(WriteBreakPointEx(entries: [BreakPointEntry(address: 1)])))
    payload[16] = 2
    #expect(throws: PayloadError.lengthMismatch(field: "BreakPointCount", expected: 32, found: 16, offset: 32)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func symbolFileKindAndNameLengthAreChecked() {
    let reply = GetSymbolFile(moduleBase: 0xf7a0_0000, kind: .pdb, age: 1, guid: Array(0..<16), pdbName: "Abc.pdb")
    var payload = manipulatePayload(.getSymbolFile(reply))
    payload[24] = 3
    #expect(throws: PayloadError.invalidValue(field: "symbol file kind", found: 3, offset: 40)) {
      try ManipulateState(decoding: payload)
    }
    payload = manipulatePayload(.getSymbolFile(reply))
    payload[48] = 8
    #expect(throws: PayloadError.lengthMismatch(field: "NameLength", expected: 7, found: 8, offset: 64)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func verifierSettingsCountsMustMatchTheData() {
    let store = VerifierSettings(operation: .store, settings: [.init(flags: 8, name: "Abc.sys")])
    var payload = manipulatePayload(.verifierSettings(store))
    payload[20] = 2
    #expect(throws: PayloadError.lengthMismatch(field: "Count", expected: 136, found: 68, offset: 36)) {
      try ManipulateState(decoding: payload)
    }
    payload[20] = 1
    payload[16] = 7
    #expect(throws: PayloadError.invalidValue(field: "Operation", found: 7, offset: 32)) {
      try ManipulateState(decoding: payload)
    }
    payload[16] = 1
    payload[60] = 0x07  // a control character in the name
    #expect(throws: PayloadError.invalidValue(field: "Name", found: 7, offset: 76)) {
      try ManipulateState(decoding: payload)
    }
  }

  /// Found by the fuzzer (KDProtocolFuzz in CI): a verifier setting's name with bytes after its NUL, or with no
  /// NUL at all, decoded and re-encoded differently. One encoding per setting: NUL-terminated, NUL-padded.
  @Test func verifierSettingNamesAreNulTerminatedAndNulPadded() {
    let store = VerifierSettings(operation: .store, settings: [.init(flags: 8, name: "Abc.sys")])
    var payload = manipulatePayload(.verifierSettings(store))
    payload[60 + 7 + 2] = 0x41  // "Abc.sys\0\0A..."
    #expect(throws: PayloadError.invalidValue(field: "Name padding", found: 0x41, offset: 76 + 9)) {
      try ManipulateState(decoding: payload)
    }
    payload = manipulatePayload(.verifierSettings(store))
    for i in 60..<124 { payload[i] = 0x41 }
    #expect(throws: PayloadError.invalidValue(field: "Name (no NUL)", found: 0x41, offset: 76 + 63)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func unloadDriverNameMustMatchItsLengthAndBePrintable() {
    var payload = manipulatePayload(.unloadDriver(UnloadDriver(name: "Abc.sys")))
    payload[20] = 9
    #expect(throws: PayloadError.lengthMismatch(field: "NameLength", expected: 7, found: 9, offset: 36)) {
      try ManipulateState(decoding: payload)
    }
    let spaced = manipulatePayload(.unloadDriver(UnloadDriver(name: "Ab c")))
    #expect(throws: PayloadError.invalidValue(field: "Name", found: 0x20, offset: 74)) {
      try ManipulateState(decoding: spaced)
    }
  }

  @Test func stackTraceMaxFramesIsBounded() {
    var payload = manipulatePayload(.getStackTrace(GetStackTrace(maxFrames: 4)))
    payload[20] = 0
    payload[21] = 0x10  // 4096 frames
    #expect(throws: PayloadError.invalidValue(field: "MaxFrames", found: 4096, offset: 36)) {
      try ManipulateState(decoding: payload)
    }
  }

  @Test func helloWithUnknownFlagIsRefused() {
    var payload = Hello(clientName: "x").encoded()
    payload[7] = 0x80
    #expect(throws: PayloadError.reservedNotZero(found: 0x8000_0000, offset: 20)) { try Hello(decoding: payload) }
  }

  @Test func helloStringLengthsMustMatch() {
    var payload = Hello(clientName: "kd").encoded()
    payload[16] = 5
    #expect(throws: PayloadError.lengthMismatch(field: "hello strings", expected: 5, found: 2, offset: 32)) {
      try Hello(decoding: payload)
    }
  }

  @Test func helloMaxPayloadOutsideBoundsIsRefused() {
    var payload = Hello(clientName: "kd").encoded()
    payload[8] = 0x10  // 16 bytes: below the minimum
    #expect(throws: PayloadError.invalidValue(field: "MaxPayload", found: 16, offset: 24)) {
      try Hello(decoding: payload)
    }
  }

  /// The error names the first byte that does not begin valid UTF-8 (its frame offset, and the byte).
  @Test func invalidUTF8IsRefusedNotReplaced() {
    var payload = Hello(clientName: "kd").encoded()
    payload[24] = 0xff
    #expect(throws: PayloadError.invalidValue(field: "ClientName", found: 0xff, offset: 40)) {
      try Hello(decoding: payload)
    }
    // "ab", then a 3-byte sequence cut short by the end of the field, then "c": the sequence's lead byte.
    var cut = Hello(clientName: "abxyc").encoded()
    cut[26] = 0xe2
    cut[27] = 0x82
    #expect(throws: PayloadError.invalidValue(field: "ClientName", found: 0xe2, offset: 42)) {
      try Hello(decoding: cut)
    }
    #expect(
      PayloadError.invalidValue(field: "ClientName", found: 0xe2, offset: 42).description
        == "invalid ClientName at offset 42: 0xe2")
  }

  @Test func stateChangeWithUnknownNewStateIsRefused() {
    var payload = StateChange(detail: .running).encoded()
    payload[0] = 0x77
    #expect(throws: PayloadError.invalidValue(field: "NewState", found: 0x3177, offset: 16)) {
      try StateChange(decoding: payload)
    }
  }

  @Test func stateChangeFrameCountBeyondDataIsRefused() {
    var payload = Samples.breakEvent.encoded()
    payload[296] = 3  // claims three frames, carries two
    #expect(throws: PayloadError.lengthMismatch(field: "frames", expected: 96, found: 64, offset: 320)) {
      try StateChange(decoding: payload)
    }
  }

  @Test func debugIOLengthMustMatch() {
    var payload = DebugIO(text: "hello").encoded()
    payload[8] = 9
    #expect(throws: PayloadError.lengthMismatch(field: "LengthOfString", expected: 9, found: 5, offset: 24)) {
      try DebugIO(decoding: payload)
    }
  }

  @Test func everyTruncationOfEveryPayloadFailsCleanly() {
    // No prefix of a valid payload may crash the decoder; most must throw.
    for (index, message) in Samples.messages.enumerated() {
      let frame = message.frame(packetId: 1)
      guard frame.leader == .data, !frame.payload.isEmpty else { continue }
      for cut in 0..<frame.payload.count {
        var truncated = frame
        truncated.payload = Array(frame.payload[0..<cut])
        if let decoded = try? Message(frame: truncated) {
          // Only payloads whose tail is optional data may decode; they must then differ.
          #expect(decoded != message, "message \(index) cut at \(cut) decoded as the original")
        }
      }
    }
  }
}
