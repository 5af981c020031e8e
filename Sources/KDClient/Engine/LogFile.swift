import Foundation

/// The file `.logopen` / `.logappend` opened: receives every command and its output.
final class LogFile {
  let path: String
  private let handle: FileHandle

  init(path: String, append: Bool) throws(CommandError) {
    let fm = FileManager.default
    if !append || !fm.fileExists(atPath: path) {
      guard fm.createFile(atPath: path, contents: nil) else { throw .message("Unable to open log file '\(path)'") }
    }
    guard let h = FileHandle(forWritingAtPath: path) else { throw .message("Unable to open log file '\(path)'") }
    if append { h.seekToEndOfFile() }
    self.path = path
    self.handle = h
  }

  func write(_ text: String) {
    handle.write(Data(text.utf8))
  }

  func close() {
    try? handle.close()
  }
}
