/// How much a line a program logged matters: `debug`, `info`, `warning` or `error`.
public enum LogLevel: String, Hashable, Sendable, CaseIterable, Codable {
  case debug, info, warning, error
}
