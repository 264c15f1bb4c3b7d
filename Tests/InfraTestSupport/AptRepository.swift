import Foundation
import InfraCore
import InfraTransport

/// A flat apt repository in a test host's `repository` folder: tiny packages built here with
/// `dpkg-deb`, and the `Packages` index apt reads (`deb [trusted=yes] file:/srv/infra-repo ./`).
package struct AptRepository {
  /// One package to build: its files by absolute path (mode 0755 for paths under a `bin`
  /// folder or `/etc/init.d`), its control fields beyond name and version.
  package struct Package {
    package var name: String
    package var version: String
    package var files: [String: String]
    package var depends: String?
    package var conffiles: [String] = []
    /// Maintainer scripts by name (`postinst`).
    package var scripts: [String: String] = [:]

    package init(
      _ name: String, _ version: String, files: [String: String] = [:], depends: String? = nil,
      conffiles: [String] = [], scripts: [String: String] = [:]
    ) {
      self.name = name
      self.version = version
      self.files = files
      self.depends = depends
      self.conffiles = conffiles
      self.scripts = scripts
    }
  }

  package let folder: URL

  package init(_ folder: URL) {
    self.folder = folder
  }

  /// Builds `packages` into the repository and writes the index of every package in it, the
  /// ones built earlier too (unless `replacing`, which leaves only these).
  package func publish(_ packages: [Package], replacing: Bool = false) async throws {
    let manager = FileManager.default
    if replacing {
      for name in try manager.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".deb")
      {
        try manager.removeItem(at: folder.appending(path: name))
      }
    }
    for package in packages { try await build(package) }
    var index = ""
    let debs = try manager.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".deb") }
    // A file of its own for each package's fields: programs' output is appended to its file.
    let scratch = try TemporaryFolder("apt-index")
    for (number, deb) in debs.sorted().enumerated() {
      let path = folder.appending(path: deb).path
      let control = scratch.appending("control-\(number)").path
      guard
        try await ChildProcess.runToEnd("/usr/bin/dpkg-deb", ["-f", path], stdout: control) == 0
      else { throw ChildProcessError(message: "dpkg-deb -f \(deb) failed") }
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let digest = SHA256Hex.of(data)
      index += try String(contentsOfFile: control, encoding: .utf8)
      index += "Filename: ./\(deb)\nSize: \(data.count)\nSHA256: \(digest)\n\n"
    }
    try Data(index.utf8).write(to: folder.appending(path: "Packages"))
  }

  private func build(_ package: Package) async throws {
    let tree = try TemporaryFolder("deb")
    var control = """
      Package: \(package.name)
      Version: \(package.version)
      Architecture: all
      Maintainer: infra tests <tests@infra.invalid>
      Description: a package of infra's tests
       Built by the test that uses it.

      """
    if let depends = package.depends {
      control = control.replacingOccurrences(
        of: "Architecture", with: "Depends: \(depends)\nArchitecture")
    }
    _ = try tree.write("DEBIAN/control", control)
    if !package.conffiles.isEmpty {
      _ = try tree.write("DEBIAN/conffiles", package.conffiles.joined(separator: "\n") + "\n")
    }
    for (name, script) in package.scripts {
      _ = try tree.write("DEBIAN/\(name)", script)
      try tree.setMode("DEBIAN/\(name)", 0o755)
    }
    for (path, content) in package.files {
      let relative = String(path.drop { $0 == "/" })
      _ = try tree.write(relative, content)
      let executable =
        path.contains("/bin/") || path.contains("/sbin/") || path.hasPrefix("/etc/init.d/")
      try tree.setMode(relative, executable ? 0o755 : 0o644)
    }
    // dpkg-deb wants the package's folders no more open than 0775, no less than 0755.
    for folder in try FileManager.default.subpathsOfDirectory(atPath: tree.path) + [""]
    where (try? FileManager.default.destinationOfSymbolicLink(atPath: tree.path + "/" + folder))
      == nil
    {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: tree.path + "/" + folder, isDirectory: &isFolder),
        isFolder.boolValue
      {
        chmod(tree.path + "/" + folder, 0o755)
      }
    }
    let deb = folder.appending(path: "\(package.name)_\(package.version)_all.deb").path
    let scratch = try TemporaryFolder("dpkg-deb")
    let log = scratch.appending("log").path
    let code = try await ChildProcess.runToEnd(
      "/usr/bin/dpkg-deb", ["--root-owner-group", "--build", tree.path, deb], stdout: log,
      stderr: log)
    guard code == 0 else {
      throw ChildProcessError(
        message:
          "dpkg-deb could not build \(package.name): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
      )
    }
  }
}
