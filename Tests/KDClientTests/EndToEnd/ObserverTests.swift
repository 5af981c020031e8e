import Foundation
import KDTestSupport
import Testing

/// `kd --observe` against a real `kdserver`: an observer reads the target and is refused when it tries to
/// change it, with a message that says why; the target is left as it was.
@Suite struct ObserverTests {
  @Test func observerReadsButCannotWrite() throws {
    let (server, port, fingerprint) = try KDServerProcess.start()
    defer {
      server.process.terminate()
      _ = server.waitExit()
    }
    let kd = builtExecutable("kd")
    let connect = ["--connect", "127.0.0.1:\(port)", "--fingerprint", fingerprint, "--timeout", "60"]
    // A controller breaks in and leaves the target halted (KD's behaviour on detach).
    let controller = run(kd, connect + ["-b", "-c", "dd nt!PoolHitTag L1"])
    #expect(controller.status == 0, "controller: \(controller.stderr)")
    #expect(controller.stdout.contains("ffffff0f"))

    let observer = run(kd, connect + ["--observe", "-c", "dd nt!PoolHitTag L1; ed nt!PoolHitTag 41414141; g"])
    #expect(observer.status == 0, "observer: \(observer.stderr)")
    #expect(observer.stdout.contains("Break instruction exception"), "an observer sees the current break")
    #expect(observer.stdout.contains("ffffff0f"))
    #expect(observer.stdout.contains("this session is an observer"), "\(observer.stdout)")
    #expect(server.line(containing: "attached as observer") != nil)

    let after = run(kd, connect + ["-c", "dd nt!PoolHitTag L1"])
    #expect(after.stdout.contains("ffffff0f"), "the observer changed nothing: \(after.stdout)")
  }
}
