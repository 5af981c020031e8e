import Foundation
import KDClient

// `swift run -c release bench [--quick] [--only NAME]`: see docs/BENCHMARKS.md.
let options: Options
do {
  options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch {
  FileHandle.standardError.write(Data("\(error)\n".utf8))
  exit(2)
}

do {
  switch options.role {
  case .kdServer: try KDServerChild.serve()
  case .tlsEcho: try BareTLS.serve()
  case .tcpEcho: try PlainTCP.serve()
  case .benchmarks: try BenchRun(options).run()
  }
} catch {
  FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
  exit(1)
}
