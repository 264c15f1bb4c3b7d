import Crypto
import Foundation
import InfraTransport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

extension FileInstaller {
  struct Op: Sendable {
    enum Kind: String, Sendable {
      case write = "W"
      case attributes = "A"
      case remove = "R"
      /// A symbolic link to the op's content, as its target.
      case link = "L"
      /// A folder, with mode and owner.
      case folder = "D"
    }

    /// What a write puts in the file.
    enum Content: Sendable {
      case bytes(Data)
      /// A repository file, read as it is sent and checked against `sha256` (when given);
      /// `name` is its path in the repository, for messages.
      case file(URL, name: String, sha256: String?)
    }

    var kind: Kind
    var path: String
    var content: Content = .bytes(Data())
    var mode: UInt32?
    var owner: String?
    var group: String?
    /// A shell script that checks the staged file (its path is `$1`) before it replaces the
    /// target: the write fails, and the target keeps its content, when the script fails.
    var check: String?
    /// Keep the file a write replaces beside it, by a hard link, as `<path>.<UTC time>~`.
    var backup = false
    /// Move what is at the path (a link, a folder) aside, as `<path>.<UTC time>~`, first.
    var aside = false

    init(
      kind: Kind, path: String, content: Data = Data(), mode: UInt32? = nil,
      owner: String? = nil, group: String? = nil
    ) {
      self.init(
        kind: kind, path: path, source: .bytes(content), mode: mode, owner: owner, group: group)
    }

    init(
      kind: Kind, path: String, source: Content, mode: UInt32?, owner: String?, group: String?
    ) {
      (self.kind, self.path, self.content) = (kind, path, source)
      (self.mode, self.owner, self.group) = (mode, owner, group)
    }

    /// Owner and group names cannot hold spaces; an empty one means "not set".
    private static func field(_ value: String?) -> String {
      guard let value, !value.isEmpty else { return "-" }
      return value
    }

    /// The op's header line, path and check, for content of `size` bytes.
    func header(size: Int) -> Data {
      let path = Data(self.path.utf8)
      let check = Data((self.check ?? "").utf8)
      let mode = self.mode.map(FileMode.format) ?? "-"
      let checkLength = check.isEmpty ? "" : " \(check.count)"
      let kind = self.kind.rawValue + (backup ? "B" : "") + (aside ? "M" : "")
      var data = Data(
        "\(kind) \(size) \(mode) \(Self.field(owner)) \(Self.field(group)) \(path.count)\(checkLength)\n"
          .utf8)
      data.append(path)
      data.append(check)
      return data
    }

    /// The script that runs a `validate:` command on the staged file: `%s` is its path,
    /// passed as `$1` so that no path needs quoting; the command reads nothing, and what it
    /// prints (on either stream) is the failure's reason.
    static func check(running command: String) -> String {
      "exec </dev/null 2>&1\n" + command.replacingOccurrences(of: "%s", with: #""$1""#) + "\n"
    }
  }

  /// A batch's stream, produced as the host reads it: repository files are read and hashed a
  /// chunk at a time, so an apply's memory does not grow with the bytes it changes.
  ///
  /// A source that cannot be read ends the stream before its op; one that changed since the
  /// plan (its hash or size is not the planned one) is withdrawn after its content, so the host
  /// removes what it received and stops. Either way `stopped` says which op and why. Once
  /// `shouldStop` is true (the run was stopped) the stream ends before the next op: the host
  /// finishes the ops it was sent, and no other.
  final class Feed: Sendable {
    let ops: [Op]
    private let stop = Mutex<(index: Int, reason: String)?>(nil)
    private let begun = Mutex(0)
    private let shouldStop: @Sendable () -> Bool
    private let onSend: @Sendable (Int) -> Void
    /// Read and sent a chunk at a time, as planning reads sources.
    static let chunkSize = ContentDigest.chunkSize

    /// `onSend` is told each op's index as the op starts going out.
    init(
      _ ops: [Op], shouldStop: @escaping @Sendable () -> Bool = { false },
      onSend: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
      self.ops = ops
      self.shouldStop = shouldStop
      self.onSend = onSend
    }

    var input: StreamedInput {
      StreamedInput { [self] send in try produce(send) }
    }

    /// The op the stream stopped at, and why; `nil` when every op was sent.
    var stopped: (index: Int, reason: String)? { stop.withLock { $0 } }

    /// How many ops the stream began to send: fewer than all once the run was stopped.
    var sent: Int { begun.withLock { $0 } }

    private static let goAhead = Data(".".utf8)
    private static let withdraw = Data("!".utf8)

    private func produce(_ send: StreamedInput.Send) throws {
      try withoutActuallyEscaping(send) { send in
        var out = Output(send: send)
        defer { try? out.flush() }
        for (index, op) in ops.enumerated() {
          guard !shouldStop() else { return }
          begun.withLock { $0 = index + 1 }
          onSend(index)
          switch op.content {
          case .bytes(let data):
            try out.add(op.header(size: data.count))
            try out.add(data)
            try out.add(Self.goAhead)
          case .file(let url, let name, let sha256):
            let sent = try sendFile(op, from: url, name: name, sha256: sha256, at: index, &out)
            guard sent else { return }
          }
        }
      }
    }

    /// Small pieces (headers, end bytes, small files) go out together, a chunk at a time: one
    /// write per chunk rather than three per file.
    private struct Output {
      let send: StreamedInput.Send
      var pending = Data()

      mutating func add(_ data: Data) throws {
        if pending.isEmpty, data.count >= Feed.chunkSize { return try send(data) }
        pending.append(data)
        if pending.count >= Feed.chunkSize { try flush() }
      }

      mutating func flush() throws {
        guard !pending.isEmpty else { return }
        let data = pending
        pending = Data()
        try send(data)
      }
    }

    /// Sends op `index`, a write from a repository file; false when the stream stops there.
    private func sendFile(
      _ op: Op, from url: URL, name: String, sha256: String?, at index: Int, _ out: inout Output
    ) throws -> Bool {
      let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
      var info = stat()
      guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
        stopAt(index, "cannot read \(name): \(String(cString: strerror(errno)))")
        if descriptor >= 0 { _ = close(descriptor) }
        return false
      }
      defer { _ = close(descriptor) }
      let size = Int(info.st_size)
      try out.add(op.header(size: size))
      var hasher = SHA256()
      var left = size
      var buffer = [UInt8](repeating: 0, count: Self.chunkSize)
      var failure: String?
      while left > 0 {
        let count = read(descriptor, &buffer, min(buffer.count, left))
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
          failure = count < 0 ? String(cString: strerror(errno)) : nil
          break
        }
        let chunk = Data(buffer[0..<count])
        hasher.update(data: chunk)
        try out.add(chunk)
        left -= count
      }
      let intact = left == 0 && sha256.map { hasher.finalize().hexString == $0 } ?? true
      guard intact else {
        // The host expects `size` bytes before the end byte: what is missing is padding.
        while left > 0 {
          let count = min(left, Self.chunkSize)
          try out.add(Data(count: count))
          left -= count
        }
        stopAt(
          index,
          failure.map { "cannot read \(name): \($0)" }
            ?? "\(name) changed after it was planned; run the plan again")
        try out.add(Self.withdraw)
        return false
      }
      try out.add(Self.goAhead)
      return true
    }

    private func stopAt(_ index: Int, _ reason: String) {
      stop.withLock { $0 = (index, reason) }
    }
  }
}
