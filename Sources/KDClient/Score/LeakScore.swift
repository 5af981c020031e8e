/// `kd score` (ours): each leak finder's answer, graded against the ground truth the target's scenario declares
/// (docs/SCENARIOS.md, "Ground truth"), at each step of one run. The methods, all on the same run:
/// - tag ranking, as `!poolused` and PoolMon rank: the tags with the most outstanding bytes (as many as the truth
///   has tags; a split tag's sub-tags counted under it), graded by tag;
/// - `!poolsites`: the call sites marked LEAKING (grew in each of the last N windows of the target's samples);
/// - `!tagsplit`: the tags the ranking names are split (as a person would split the suspect tag), and the call
///   sites whose sub-tag's outstanding blocks (nt!PoolTrackTable) grew at each of the last N steps are named;
/// - `!poolscan`: the call sites with lost blocks or GROWING.
/// Sites are graded by the function they are in (`Module!Function`); the truth names the function that leaks.
struct LeakScore {
  enum Method: String, CaseIterable, Codable, Sendable {
    case tagRanking, poolSites, tagSplit, poolScan

    var title: String {
      switch self {
      case .tagRanking: "tag ranking (!poolused)"
      case .poolSites: "!poolsites LEAKING"
      case .tagSplit: "!tagsplit sub-tag growth"
      case .poolScan: "!poolscan lost+GROWING"
      }
    }
  }

  /// One method's answer at one step, graded.
  struct Grade: Codable, Sendable {
    var method: Method
    var answer: [String]
    var truePositives: Int
    /// nil when the answer is empty.
    var precision: Double?
    var recall: Double
    var correct: Bool
  }

  let windows: Int
  /// The truth as names: tags (for the ranking) and `Module!Function` (for the others).
  let truthTags: Set<String>
  let truthSites: Set<String>
  /// Per split sub-tag, its outstanding blocks at each step so far.
  private var subTagHistory: [UInt32: [Int64]] = [:]

  init(truth: [ScenarioLeakRecord], windows: Int, session: Session) throws(CommandError) {
    self.windows = windows
    truthTags = Set(truth.map { Ascii.tag($0.tag) })
    var sites = Set<String>()
    for t in truth { sites.insert(try Self.function(t.function, session)) }
    truthSites = sites
  }

  /// `Module!Function` of an address in it (the offset dropped).
  static func function(_ address: UInt32, _ session: Session) throws(CommandError) -> String {
    let name = try session.symbolOrAddress(address)
    return name.split(separator: "+").first.map(String.init) ?? name
  }

  /// Every method's answer now (the target halted), graded.
  mutating func grade(_ session: Session) throws(CommandError) -> [Grade] {
    let ranked = try rankTags(session)
    return [
      grade(.tagRanking, Set(ranked.map { Ascii.tag($0) }), truthTags),
      grade(.poolSites, try leakingSites(session), truthSites),
      grade(.tagSplit, try growingSubTagSites(split: ranked, session), truthSites),
      grade(.poolScan, try scannedSites(session), truthSites),
    ]
  }

  private func grade(_ method: Method, _ answer: Set<String>, _ truth: Set<String>) -> Grade {
    let hits = answer.intersection(truth).count
    return Grade(
      method: method, answer: answer.sorted(), truePositives: hits,
      precision: answer.isEmpty ? nil : Double(hits) / Double(answer.count),
      recall: truth.isEmpty ? 1 : Double(hits) / Double(truth.count), correct: answer == truth)
  }

  /// Outstanding bytes per tag, sub-tags folded into their tag.
  private func tagBytes(_ session: Session) throws(CommandError) -> [UInt32: UInt64] {
    let assignments = try session.targetCall { () throws(TargetError) in try session.target.tagSplit(.list, tag: 0) }
    let parent = Dictionary(assignments.map { ($0.subTag, $0.tag) }) { a, _ in a }
    var bytes: [UInt32: UInt64] = [:]
    for e in try PoolData.trackTable(session) {
      bytes[parent[e.tag] ?? e.tag, default: 0] += UInt64(e.nonPagedBytes) + UInt64(e.pagedBytes)
    }
    return bytes
  }

  /// The tags with the most outstanding bytes, as many as the truth has.
  private func rankTags(_ session: Session) throws(CommandError) -> [UInt32] {
    let bytes = try tagBytes(session)
    return bytes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(truthTags.count).map(\.key)
  }

  private func leakingSites(_ session: Session) throws(CommandError) -> Set<String> {
    var out = Set<String>()
    for s in try PoolSites.fetch(session).sites where s.callSite != 0 {
      if let g = PoolSites.growth(of: s.history, windows: windows), g.allSatisfy({ $0 > 0 }) {
        out.insert(try Self.function(s.callSite, session))
      }
    }
    return out
  }

  private mutating func growingSubTagSites(split ranked: [UInt32], _ session: Session) throws(CommandError)
    -> Set<String>
  {
    for tag in ranked {
      _ = try session.targetCall { () throws(TargetError) in try session.target.tagSplit(.split, tag: tag) }
    }
    let assignments = try session.targetCall { () throws(TargetError) in try session.target.tagSplit(.list, tag: 0) }
    let outstanding = Dictionary(
      try PoolData.trackTable(session).map {
        ($0.tag, Int64($0.nonPagedOutstanding) + Int64($0.pagedOutstanding))
      }
    ) { a, _ in a }
    var out = Set<String>()
    for a in assignments where a.callSite != 0 {
      subTagHistory[a.subTag, default: []].append(outstanding[a.subTag] ?? 0)
      let h = subTagHistory[a.subTag] ?? []
      guard h.count > windows else { continue }
      let last = h.suffix(windows + 1)
      if zip(last, last.dropFirst()).allSatisfy({ $0 < $1 }) { out.insert(try Self.function(a.callSite, session)) }
    }
    return out
  }

  private func scannedSites(_ session: Session) throws(CommandError) -> Set<String> {
    var out = Set<String>()
    for s in try PoolScanCommand.scan(matcher: nil, windows: windows, session).sites
    where s.callSite != 0 && s.verdict != .referenced {
      out.insert(try Self.function(s.callSite, session))
    }
    return out
  }
}
