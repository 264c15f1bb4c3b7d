import ArgumentParser
import InfraEngine
import InfraKit

/// What plan and apply work on: paths, and what git says changed.
struct SelectionOptions: ParsableArguments {
  @Argument(
    help: "Resource files or folders to plan, or addresses as plans print them (default: all).",
    completion: Completions.paths)
  var paths: [String] = []

  @Flag(
    help:
      "Plan only the resource files git shows changed since --base (staged or not, untracked included) and the deletions."
  )
  var changed = false

  @Option(
    help: ArgumentHelp(
      "The commit, branch or tag that --changed compares with, and that deletions are planned against (default HEAD).",
      valueName: "ref"))
  var base: String?

  @Flag(help: "Like --changed, comparing only the index (what is staged) with --base.")
  var staged = false

  @OptionGroup var limit: LimitOption

  /// How the workspace is compared with git: deletions are always planned against the base;
  /// with --changed, --staged or --base, git is required.
  var gitScope: GitScope {
    GitScope(base: base ?? "HEAD", staged: staged, required: changed || staged || base != nil)
  }

  /// Whether the plan is limited to the change set.
  var changedOnly: Bool { changed || staged }

  /// What to plan in `workspace`; exits 1 naming every bad path, every unknown host or group of
  /// `--limit`, and a limit that leaves nothing to plan.
  func selection(in workspace: Workspace, session: Session) throws -> PlanSelection {
    var selection = PlanSelection(
      only: try session.patterns(paths, in: workspace), changedOnly: changedOnly)
    guard let hosts = try limit.hosts(in: workspace, session: session) else { return selection }
    let everywhere = !selection.shares(in: workspace).isEmpty
    selection.hosts = hosts
    if everywhere, selection.shares(in: workspace).isEmpty {
      session.report([
        .error(
          "--limit \(limit.names.joined(separator: ",")) leaves nothing to plan: no selected resource is on \(hosts.count == 1 ? "that host" : "those hosts")",
          hint:
            "limit to hosts the resources are for (`infra hosts` lists them), or leave --limit out")
      ])
      throw ExitCode.failure
    }
    return selection
  }
}

/// `--limit`: only some hosts, as Ansible's `--limit` and Terraform's `-target` narrow a run.
struct LimitOption: ParsableArguments {
  @Option(
    name: .customLong("limit"),
    help: ArgumentHelp(
      "Only these hosts: a host or @group, several separated by commas or given again.",
      valueName: "host|@group"), completion: Completions.hosts)
  var hosts: [String] = []

  /// Every host and group named, commas split.
  var names: [String] {
    hosts.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
      .filter { !$0.isEmpty }
  }

  /// Whether a run limited so would work on `host`: to connect to it while loading.
  var selects: @Sendable (InventoryHost) -> Bool {
    let names = Set(names)
    guard !names.isEmpty else { return { _ in true } }
    return { host in
      names.contains(host.name) || host.groups.contains { names.contains("@\($0)") }
    }
  }

  /// The host names the limit selects, `nil` without one; exits 1 naming every unknown host or
  /// group, or a group without hosts.
  func hosts(in workspace: Workspace, session: Session) throws -> Set<String>? {
    guard !names.isEmpty else { return nil }
    let selected = try session.hosts(names, in: workspace.inventory)
    guard !selected.isEmpty else {
      session.report([
        .error(
          "--limit \(names.joined(separator: ",")) matches no host",
          hint: "`infra hosts` lists the hosts and their groups")
      ])
      throw ExitCode.failure
    }
    return Set(selected.map(\.name))
  }
}
