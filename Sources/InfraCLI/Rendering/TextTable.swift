/// A plain text table with a header row; numeric columns are right-aligned.
struct TextTable {
  var header: [String]
  var rows: [[String]] = []
  /// Columns (by index) aligned to the right.
  var numeric: Set<Int> = []

  func render(_ style: Styler) -> String {
    let widths = header.indices.map { column in
      ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, cell in
        let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
        return numeric.contains(column) ? pad + cell : cell + pad
      }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    var text = style(line(header), .bold) + "\n"
    for row in rows { text += line(row) + "\n" }
    return text
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var text = self
    while text.hasSuffix(" ") { text.removeLast() }
    return text
  }
}
