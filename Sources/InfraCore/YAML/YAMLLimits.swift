// The event scanner below reads libyaml's events directly: Yams composes a document into a
// tree, expanding every alias as it goes (and hashing each mapping's keys), so a bomb has done
// its damage before a composed tree could be checked. CYaml is the libyaml that Yams builds and
// imports, and so is there for everything that imports Yams.
import CYaml

/// What one YAML document may cost: every YAML file infra reads is checked against these
/// before it is composed, so no file in a pull request can make infra hang or exhaust memory
/// ("billion laughs", a 100,000-deep nesting, a document of gigabytes).
///
/// The limits are far beyond what a hand-written file needs; each breach is a located error
/// that names the limit.
package struct YAMLLimits: Sendable, Hashable {
  /// The largest document, in bytes.
  package var maxBytes: Int
  /// The deepest nesting of mappings and lists.
  package var maxDepth: Int
  /// How many nodes aliases may add to a document in all, counting every node of each
  /// alias's anchored value each time it is used.
  package var maxAliasedNodes: Int

  package init(maxBytes: Int, maxDepth: Int, maxAliasedNodes: Int) {
    self.maxBytes = maxBytes
    self.maxDepth = maxDepth
    self.maxAliasedNodes = maxAliasedNodes
  }

  /// 16 MiB, 64 levels, 100,000 nodes by alias.
  package static let standard = YAMLLimits(
    maxBytes: 16 << 20, maxDepth: 64, maxAliasedNodes: 100_000)

  /// The first limit `text` breaks, as a located error; `nil` when it keeps them all, or when
  /// it is not valid YAML (composing it says where).
  package func check(_ text: String, path: String) -> Diagnostic? {
    let size = text.utf8.count
    if size > maxBytes {
      return .error(
        "the file is \(size.grouped) bytes, more than the \(maxBytes.grouped) bytes infra reads in one YAML document",
        at: SourceLocation(file: path), hint: "split it, or move large content into files")
    }
    var copy = text
    return copy.withUTF8 { bytes in scan(bytes, path: path) }
  }

  /// A value as the scan counts it: its nodes, aliases expanded, and how many levels of
  /// mappings and lists it nests (0 for a scalar).
  private struct Size {
    var nodes = 1
    var levels = 0
  }

  /// A mapping or list being read: its anchor, and its size so far.
  private struct Frame {
    var anchor: String?
    var size = Size(nodes: 1, levels: 1)
  }

  private func scan(_ bytes: UnsafeBufferPointer<UInt8>, path: String) -> Diagnostic? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return nil }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
    var stack: [Frame] = []
    var anchored: [String: Size] = [:]
    var aliased = 0
    /// Counts a finished value into the collection it is in.
    func add(_ size: Size) {
      guard !stack.isEmpty else { return }
      stack[stack.count - 1].size.nodes += size.nodes
      stack[stack.count - 1].size.levels = max(stack[stack.count - 1].size.levels, size.levels + 1)
    }
    while true {
      var event = yaml_event_t()
      guard yaml_parser_parse(&parser, &event) == 1 else { return failure(parser, path: path) }
      defer { yaml_event_delete(&event) }
      let location = SourceLocation(
        file: path, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
      switch event.type {
      case YAML_STREAM_END_EVENT:
        return nil
      case YAML_DOCUMENT_START_EVENT:
        (stack, anchored, aliased) = ([], [:], 0)
      case YAML_SCALAR_EVENT:
        if let anchor = event.data.scalar.anchor { anchored[String(cString: anchor)] = Size() }
        add(Size())
      case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
        let anchor =
          event.type == YAML_SEQUENCE_START_EVENT
          ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
        stack.append(Frame(anchor: anchor.map { String(cString: $0) }))
        if stack.count > maxDepth { return tooDeep(at: location) }
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        guard let frame = stack.popLast() else { return nil }
        if let anchor = frame.anchor { anchored[anchor] = frame.size }
        add(frame.size)
      case YAML_ALIAS_EVENT:
        let size = event.data.alias.anchor.flatMap { anchored[String(cString: $0)] } ?? Size()
        aliased += size.nodes
        if aliased > maxAliasedNodes {
          return .error(
            "aliases expand this document by more than \(maxAliasedNodes.grouped) nodes",
            at: location,
            hint:
              "an alias repeats its anchor's whole value; write the values out, or use fewer aliases of large values"
          )
        }
        // An alias puts its anchor's value here, with all the levels it nests.
        if stack.count + size.levels > maxDepth { return tooDeep(at: location) }
        add(size)
      default:
        break
      }
    }
  }
}

extension YAMLLimits {
  private func tooDeep(at location: SourceLocation) -> Diagnostic {
    .error(
      "the YAML nests deeper than \(maxDepth) levels of mappings and lists", at: location,
      hint: "flatten the structure; no infra file needs this depth")
  }

  /// libyaml's own nesting limit (1,000 levels) trips in its parser, which the scanner's
  /// look-ahead over a flow collection's brackets reaches before the events come: that is
  /// this limit too. Any other error is left for composing to report.
  private func failure(_ parser: yaml_parser_t, path: String) -> Diagnostic? {
    guard let problem = parser.problem, String(cString: problem).contains("nesting level")
    else { return nil }
    let mark = parser.problem_mark
    return tooDeep(
      at: SourceLocation(file: path, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
  }
}
