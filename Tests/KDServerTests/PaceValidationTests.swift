import Foundation
import KDServer
import KDTestSupport
import Testing

/// `--pace` that the virtual clock cannot follow is refused at start with a message naming the flag
/// (`--pace 1e30` and `--pace inf` trapped the daemon before).
@Suite struct PaceValidationTests {
  /// As typed on the command line ("inf", "1e+30", "nan", "-1.0", "1000001.0").
  static let refused: [Double] = [.infinity, 1e30, .nan, -1, 1_000_001]

  @Test(arguments: refused)
  func configurationRefusesThePace(_ pace: Double) throws {
    var configuration = ServerConfiguration(stateDirectory: makeTemporaryDirectory("pace"))
    configuration.pace = pace
    #expect {
      try configuration.validate()
    } throws: { error in
      "\(error)".contains("--pace")
    }
  }

  @Test func kdserverExitsWithAClearErrorBelow128() throws {
    for text in Self.refused.map({ "\($0)" }) {
      let child = try KDServerProcess([
        "--pace=\(text)", "--listen", "127.0.0.1:0", "--state-dir", makeTemporaryDirectory("pace"),
      ])
      let status = child.waitExit()
      #expect(status != nil && status != 0 && status! < 128, "--pace \(text): exit \(String(describing: status))")
      #expect(child.stderr.contains("--pace"), "--pace \(text): \(child.stderr)")
    }
    var configuration = ServerConfiguration(stateDirectory: makeTemporaryDirectory("pace"))
    configuration.pace = 1_000_000
    try configuration.validate()
  }
}
