import KDKernel
import KDProtocol

extension GetSymbols: RequestHandler {
  static var mutates: Bool { false }

  func handle(_ context: RequestContext) throws(KernelError) -> (NTStatus, Manipulate) {
    guard let base = narrowAddress(moduleBase), let all = context.control.symbols(moduleBase: base) else {
      return (
        .invalidParameter,
        .getSymbols(GetSymbols(moduleBase: moduleBase, startIndex: startIndex, maxEntries: maxEntries))
      )
    }
    var budget = replyDataLimit(context.maxPayload)
    var page: [SymbolEntry] = []
    for symbol in all.dropFirst(Int(startIndex)) where page.count < Int(maxEntries) {
      let entry = SymbolEntry(
        address: symbol.address, size: symbol.size, kind: symbol.kind == .function ? .function : .data,
        name: symbol.name)
      if entry.encodedSize > budget { break }
      budget -= entry.encodedSize
      page.append(entry)
    }
    return (
      listingStatus(startIndex: startIndex, totalCount: all.count),
      .getSymbols(
        GetSymbols(
          moduleBase: moduleBase, startIndex: startIndex, maxEntries: maxEntries, totalCount: UInt32(all.count),
          symbols: page))
    )
  }
}
