/// An SVG icicle graph (a flame graph drawn top-down) of a `FlameTree`: the root row holds every outstanding byte,
/// each row below one frame nearer the allocation, widths in proportion to bytes. Frames on a leaking site's stack
/// are drawn red. Every box has `data-frame` and `data-bytes`, and a tooltip; frames too narrow to see are left
/// out and counted in the caption.
struct ReportIcicle: Sendable {
  var tree: FlameTree
  var width = 900.0
  var rowHeight = 22.0
  /// Boxes narrower than this many pixels are not drawn.
  var minimumWidth = 0.5

  func svg() -> String {
    let rows = tree.depth + 1
    let height = Double(rows) * rowHeight
    var boxes: [String] = []
    var hidden = 0
    draw(tree, x: 0, width: width, row: 0, total: tree.bytes, into: &boxes, hidden: &hidden)
    let label = "Outstanding bytes by allocation stack, \(tree.bytes) bytes"
    return
      ([
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"icicle\" data-kind=\"outstanding-by-stack\""
          + " data-bytes=\"\(tree.bytes)\" data-hidden-frames=\"\(hidden)\" width=\"\(HTMLText.number(width))\""
          + " height=\"\(HTMLText.number(height))\" viewBox=\"0 0 \(HTMLText.number(width)) \(HTMLText.number(height))\""
          + " role=\"img\" aria-label=\"\(HTMLText.escape(label))\">",
        "<title>\(HTMLText.escape(label))</title>",
      ] + boxes + ["</svg>"]).joined(separator: "\n")
  }

  private func draw(
    _ node: FlameTree, x: Double, width w: Double, row: Int, total: UInt64, into boxes: inout [String],
    hidden: inout Int
  ) {
    guard w >= minimumWidth else {
      hidden += 1
      return
    }
    let share = total == 0 ? 0 : Double(node.bytes) / Double(total) * 100
    let tip = "\(node.name): \(node.bytes) bytes (\(HTMLText.number(share))%)"
    let name = HTMLText.escape(node.name)
    let y = Double(row) * rowHeight
    var box =
      "<g class=\"frame\" data-frame=\"\(name)\" data-bytes=\"\(node.bytes)\"\(node.leaking ? " data-leaking=\"true\"" : "")>"
      + "<title>\(HTMLText.escape(tip))</title>"
      + "<rect x=\"\(HTMLText.number(x))\" y=\"\(HTMLText.number(y))\" width=\"\(HTMLText.number(max(w - 1, 0.5)))\""
      + " height=\"\(HTMLText.number(rowHeight - 1))\" fill=\"\(color(node, row: row))\"/>"
    let characters = Int((w - 8) / 7)
    if characters >= 3 {
      let text = node.name.count <= characters ? node.name : String(node.name.prefix(characters - 1)) + "…"
      box +=
        "<text x=\"\(HTMLText.number(x + 4))\" y=\"\(HTMLText.number(y + rowHeight / 2))\""
        + " dominant-baseline=\"middle\">\(HTMLText.escape(text))</text>"
    }
    boxes.append(box + "</g>")
    var childX = x
    for child in node.children {
      let childWidth = node.bytes == 0 ? 0 : w * Double(child.bytes) / Double(node.bytes)
      draw(child, x: childX, width: childWidth, row: row + 1, total: total, into: &boxes, hidden: &hidden)
      childX += childWidth
    }
  }

  /// Grey for the root, reds for a leaking stack, and a blue-green per module otherwise (the same module, the
  /// same colour).
  private func color(_ node: FlameTree, row: Int) -> String {
    if row == 0 { return "#c8c8c8" }
    let module = node.name.split(separator: "!").first.map(String.init) ?? node.name
    let hash = module.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    let shade = Int(hash % 5)
    if node.leaking { return ["#e8534a", "#ef6a4c", "#e4443f", "#f07b55", "#dc3d3d"][shade] }
    return ["#8fb8de", "#9ccfc0", "#a9c4e8", "#8ec9d4", "#b3d1a8"][shade]
  }
}
