import Foundation

/// The file `.logopen` / `.logappend` opened: receives every command and its output, once. `/u` writes
/// Unicode: UTF-16LE after a byte-order mark (which an appended-to file already has).
final class LogFile {
  let path: String
  let unicode: Bool
  private let handle: FileHandle

  init(path: String, append: Bool, unicode: Bool = false) throws(CommandError) {
    let fm = FileManager.default
    let existed = fm.fileExists(atPath: path)
    if !append || !existed {
      guard fm.createFile(atPath: path, contents: nil) else { throw .message("Unable to open log file '\(path)'") }
    }
    guard let h = FileHandle(forWritingAtPath: path) else { throw .message("Unable to open log file '\(path)'") }
    if append { h.seekToEndOfFile() }
    self.path = path
    self.unicode = unicode
    self.handle = h
    if unicode && h.offsetInFile == 0 { h.write(Data([0xff, 0xfe])) }
  }

  func write(_ text: String) {
    if unicode {
      handle.write(Data(text.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }))
    } else {
      handle.write(Data(text.utf8))
    }
  }

  func close() {
    try? handle.close()
  }
}
