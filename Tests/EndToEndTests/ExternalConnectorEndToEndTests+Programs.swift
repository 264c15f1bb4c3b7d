import Foundation
import InfraTestSupport
import InfraTransport
import Testing

/// Inventory and transport programs, calls in flight together, and the JSON settings
/// connector.
extension ExternalConnectorEndToEndTests {
  @Test func anInventoryProgramFeedsHostsToAPlan() async throws {
    let target = try TemporaryFolder("inventory-target")
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      inventory:
        - run: [python3, connectors/inventory_csv.py]
          env: { INVENTORY_CSV: inventory/hosts.csv }
      locks: { folder: \(root.path)/.infra/locks }
      prefixes:
        ops:
          connectors:
            - name: files
              hosts: ["@web"]
              options: { root: \(target.path) }
      """)
    _ = try repo.write(
      "inventory/hosts.csv",
      "name,connect,groups,role\nalpha,local,web,frontend\nbeta,local,web db,backend\ngamma,local,db,\n"
    )
    _ = try repo.write("resources/ops/files/@web/etc/motd", "hello\n")

    let hosts = try await Infra.run(["hosts"], in: root)
    #expect(hosts.code == 0, "\(hosts)")
    #expect(hosts.stdout.contains("alpha  local    @web"), "\(hosts)")
    #expect(hosts.stdout.contains("beta   local    @web @db"))
    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("+ ops/files/@web/etc/motd on alpha"))
    #expect(plan.stdout.contains("+ ops/files/@web/etc/motd on beta"))
    #expect(!plan.stdout.contains("on gamma"))

    // A host the program gets wrong is an error that names the program and the host.
    _ = try repo.write(
      "inventory/hosts.csv", "name,connect,groups\nalpha,local,web\nbeta,telnet://x,web\n")
    let wrong = try await Infra.run(["plan"], in: root)
    #expect(wrong.code == 1)
    #expect(
      wrong.stderr.contains("inventory program 'python3 connectors/inventory_csv.py':2:"),
      "\(wrong)")
    _ = try repo.write("inventory/hosts.csv", "name,connect\nalpha,\n")
    let missing = try await Infra.run(["plan"], in: root)
    #expect(missing.code == 1)
    #expect(
      missing.stderr.contains(
        "infra.yaml:3:10: error: the inventory program 'python3 connectors/inventory_csv.py' failed: inventory/hosts.csv:2: a host needs a name and a connect"
      ), "\(missing)")
    #expect(!missing.stderr.contains("unknown group"), "no errors that follow from the first")
  }

  @Test func aProgramServesSeveralHostsAtOnceAndTheirLogsKeepTheirHost() async throws {
    // Each read waits (20 s at most) for the other host's read to start: the plan succeeds
    // only if infra has both calls in flight on the one program at once.
    _ = try repo.write(
      "connectors/meeting.py",
      """
      import os, sys, threading
      sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
      from infra_connector import Connector, ConnectorError, Op, main

      class Meeting(Connector):
          concurrency = 4
          barrier = threading.Barrier(2, timeout=20)

          def read(self, host, name, desired):
              try:
                  self.barrier.wait()
              except threading.BrokenBarrierError:
                  raise ConnectorError(f"{host.name} read alone: calls were not in flight at once")
              self.log(f"met on {host.name}", address=f"meeting/{host.name}/{name}")
              return host.run("echo met").check("echo").text

          def plan(self, host, name, desired, live):
              return None if live == desired else Op("update", f"meet on {host.name}", desired)

      main(Meeting())
      """)
    try config(
      host: "  alpha: { connect: local }\n  beta: { connect: local }", connector: "meeting")
    _ = try repo.write("resources/ops/meeting/@all/room", "met\n")
    let events = root.appending(path: "events.jsonl").path
    let plan = try await Infra.run(["plan", "--events", events], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(
      plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged."), "\(plan)")
    // Each log line is the event of the host whose call logged it.
    let logs = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
      .compactMap { line -> (String, String)? in
        guard
          let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          event["event"] as? String == "connector_log"
        else { return nil }
        let data = event["data"] as? [String: Any]
        return ((event["host"] as? String) ?? "", (data?["message"] as? String) ?? "")
      }
    #expect(logs.count == 2, "\(logs)")
    for (host, message) in logs { #expect(message == "met on \(host)") }
  }

  @Test func anInventoryProgramIsAskedForTheHostsACommandNames() async throws {
    // The program notes every question in asked.txt.
    _ = try repo.write(
      "connectors/noted_inventory.py",
      """
      import os, sys
      sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
      from infra_connector import Inventory, main

      HOSTS = [{"name": name, "connect": "local", "groups": ["web"]} for name in ("alpha", "beta")]

      def note(text):
          with open("asked.txt", "a") as file:
              file.write(text + "\\n")

      class Noted(Inventory):
          def hosts(self):
              note("all")
              return HOSTS

          def host(self, name):
              note("host " + name)
              return next((host for host in HOSTS if host["name"] == name), None)

      main(inventory=Noted())
      """)
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      inventory:
        - run: [python3, connectors/noted_inventory.py]
      hosts:
        box: { connect: local }
      locks: { folder: \(root.path)/.infra/locks }
      prefixes:
        ops:
          connectors:
            - name: files
              hosts: ["@web"]
      """)
    func asked() throws -> String {
      let text = (try? repo.readText("asked.txt")) ?? ""
      try? FileManager.default.removeItem(at: root.appending(path: "asked.txt"))
      return text
    }

    let one = try await Infra.run(["hosts", "beta"], in: root)
    #expect(one.code == 0, "\(one)")
    #expect(one.stdout.contains("beta  local    @web"), "\(one)")
    #expect(!one.stdout.contains("alpha"))
    #expect(try asked() == "host beta\n", "asked for that one host only")

    let ran = try await Infra.run(["run", "alpha", "box", "--", "echo hi"], in: root)
    #expect(ran.code == 0, "\(ran)")
    #expect(try asked() == "host alpha\n", "box is in infra.yaml: only alpha is asked for")
    #expect(try await Infra.run(["run", "box", "--", "true"], in: root).code == 0)
    #expect(try asked() == "", "every host named is in infra.yaml: the program is not run")

    let unknown = try await Infra.run(["run", "gamma", "--", "true"], in: root)
    #expect(unknown.code == 1)
    #expect(unknown.stderr.contains("there is no host 'gamma'"), "\(unknown)")
    #expect(try asked() == "host gamma\n")

    // A group needs the whole inventory, as does a plan.
    #expect(try await Infra.run(["hosts", "@web"], in: root).code == 0)
    #expect(try asked() == "all\n")
  }

  @Test func theFilesConnectorAppliesThroughATransportProgram() async throws {
    let sandbox = try TemporaryFolder("sandbox")
    let sandbox2 = try TemporaryFolder("sandbox2")
    _ = try repo.write(
      "infra.yaml",
      """
      version: 1
      transports:
        folder: { run: [python3, connectors/folder_transport.py] }
      hosts:
        sandbox: { connect: "folder://\(sandbox.path)" }
        sandbox2: { connect: "folder://\(sandbox2.path)" }
        nowhere: { connect: "folder://\(sandbox.path)/missing" }
      locks: { folder: \(root.path)/.infra/locks }
      prefixes:
        ops:
          connectors:
            - name: files
              options: { root: \(sandbox.path) }
      """)
    _ = try repo.write("resources/ops/files/sandbox/etc/motd", "hello through a program\n")
    _ = try repo.write("resources/ops/files/sandbox2/etc/issue", "written through sandbox2\n")
    _ = try repo.write(
      "resources/ops/files/sandbox/etc/.infra-attrs.yaml", "files:\n  motd: { mode: \"0600\" }\n")
    _ = try repo.write("resources/ops/files/nowhere/etc/motd", "never\n")

    let apply = try await Infra.run(["apply", "--yes"], in: root)
    #expect(apply.code == 1, "the unreachable host fails, the other applies: \(apply)")
    #expect(
      apply.stdout.contains(
        "host nowhere is unreachable: \(sandbox.path)/missing is not a folder"),
      "\(apply)")
    #expect(try sandbox.readText("etc/motd") == "hello through a program\n")
    #expect(try sandbox.mode("etc/motd") == 0o600)
    #expect(try sandbox.readText("etc/issue") == "written through sandbox2\n")

    let again = try await Infra.run(["plan", "ops/files/sandbox"], in: root)
    #expect(
      again.stdout.contains("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged."), "\(again)"
    )
    let ran = try await Infra.run(["run", "sandbox", "--", "pwd; echo $HOST_ROOT"], in: root)
    #expect(ran.code == 0, "\(ran)")
    #expect(
      ran.stdout.contains("\(sandbox.path)\n\(sandbox.path)"), "commands run in the host's folder")

    // One program serves every host that names its transport: both commands' shells have the
    // same parent, the program, and each ran in its own host's folder.
    let both = try await Infra.run(
      ["run", "sandbox", "sandbox2", "--", "echo parent $PPID; pwd"], in: root)
    #expect(both.code == 0, "\(both)")
    let parents = Set(both.stdout.split(separator: "\n").filter { $0.contains("parent ") })
    #expect(parents.count == 1, "one transport process: \(both)")
    #expect(both.stdout.contains(sandbox2.path), "\(both)")
  }

  @Test func aSettingsFileIsManagedKeyByKey() async throws {
    let host = try TemporaryFolder("settings-host")
    let file = host.appending("app/config.json").path
    _ = try host.write(
      "app/config.json", #"{"server": {"port": 80, "workers": 4}, "written_by": "the app"}"#)
    try config(connector: "json_settings")
    _ = try repo.write(
      "resources/ops/json_settings/box/app.json",
      #"{"file": "\#(file)", "keys": {"server.port": 8080, "features.beta": true}}"#)

    let plan = try await Infra.run(["plan"], in: root)
    #expect(plan.code == 0, "\(plan)")
    #expect(plan.stdout.contains("~ ops/json_settings/box/app.json on box"))
    #expect(plan.stdout.contains("set features.beta, server.port"))
    #expect(
      plan.stdout.contains("-server.port = 80\n    +features.beta = true\n    +server.port = 8080"))
    let events = root.appending(path: "events.jsonl").path
    #expect(try await Infra.run(["apply", "--yes", "--events", events], in: root).code == 0)
    // What the connector logged is an event of the run, and every event fits the schema.
    let lines = try String(contentsOfFile: events, encoding: .utf8)
    #expect(lines.contains(#""event":"connector_log""#), "\(lines)")
    #expect(lines.contains("wrote 2 keys to \(file) on box"))
    let scratch = try TemporaryFolder("validate")
    let code = try ChildProcess.run(
      "/usr/bin/env",
      [
        "python3", Infra.projectRoot.appending(path: "scripts/validate-events").path,
        Infra.projectRoot.appending(path: "docs/schemas/events-v1.schema.json").path, events,
      ], stdout: scratch.appending("out").path, stderr: scratch.appending("out").path)
    let report = try scratch.readText("out")
    #expect(code == 0, "\(report)")
    let written = try #require(
      try JSONSerialization.jsonObject(with: host.read("app/config.json")) as? [String: Any])
    #expect(written["written_by"] as? String == "the app", "other keys are left alone")
    #expect((written["server"] as? [String: Any])?["workers"] as? Int == 4)
    #expect((written["server"] as? [String: Any])?["port"] as? Int == 8080)
    #expect((written["features"] as? [String: Any])?["beta"] as? Bool == true)
    #expect(try await Infra.run(["plan", "--detailed-exitcode"], in: root).code == 0)

    _ = try repo.write("resources/ops/json_settings/box/app.json", "{\"file\": \"relative\"")
    let invalid = try await Infra.run(["validate"], in: root)
    #expect(invalid.code == 1)
    #expect(invalid.stderr.contains("resources/ops/json_settings/box/app.json:1:"), "\(invalid)")
  }
}
