/// Outstanding bytes by allocation stack, merged into a tree as a flame graph (or icicle) draws it: the root holds
/// every byte, each level down one frame nearer the allocation, siblings in the order of their bytes.
struct FlameTree: Sendable, Equatable {
  var name: String
  var bytes: UInt64
  /// True when a leaking site's stack passes through this frame.
  var leaking: Bool
  var children: [FlameTree]

  /// The tree of `stacks` (outermost frame first), each carrying its bytes.
  init(root: String, stacks: [(frames: [String], bytes: UInt64, leaking: Bool)]) {
    self.init(name: root, bytes: 0, leaking: false, children: [])
    for s in stacks where s.bytes > 0 { insert(s.frames[...], bytes: s.bytes, leaking: s.leaking) }
    sortChildren()
  }

  init(name: String, bytes: UInt64, leaking: Bool, children: [FlameTree]) {
    self.name = name
    self.bytes = bytes
    self.leaking = leaking
    self.children = children
  }

  /// Levels below this node (0 for a leaf).
  var depth: Int { children.map { $0.depth + 1 }.max() ?? 0 }

  private mutating func insert(_ frames: ArraySlice<String>, bytes: UInt64, leaking: Bool) {
    self.bytes &+= bytes
    self.leaking = self.leaking || leaking
    guard let first = frames.first else { return }
    if let i = children.firstIndex(where: { $0.name == first }) {
      children[i].insert(frames.dropFirst(), bytes: bytes, leaking: leaking)
    } else {
      var child = FlameTree(name: first, bytes: 0, leaking: false, children: [])
      child.insert(frames.dropFirst(), bytes: bytes, leaking: leaking)
      children.append(child)
    }
  }

  private mutating func sortChildren() {
    for i in children.indices { children[i].sortChildren() }
    children.sort { ($0.bytes, $1.name) > ($1.bytes, $0.name) }
  }
}
