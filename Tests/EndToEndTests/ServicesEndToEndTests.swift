import Foundation
import InfraTestSupport
import Testing

/// The services connector on booted Debian test hosts: a unit installed by the packages
/// connector is enabled, started after its configuration is written, reloaded exactly once
/// when its files change in an apply, stopped and disabled; with systemd, and through init
/// scripts on a host where systemd does not run.
@Suite struct ServicesEndToEndTests {
  /// A daemon whose reloads are counted: its reload (systemd's ExecReload, or the init
  /// script's) writes a line to its events before systemctl or the script returns, so the
  /// count is known when the apply ends. Its postinst starts it, as Debian packages do.
  static let daemon = AptRepository.Package(
    "infratestd", "1.0",
    files: [
      "/usr/sbin/infratestd": """
      #!/bin/sh
      # The traps first: a reload's HUP that came before them would end the daemon, and the
      # test sends one as soon as it saw the start.
      trap 'kill "$child" 2>/dev/null' HUP
      trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
      mkdir -p /var/lib/infratestd
      echo "start $(cat /etc/infratestd/main.conf 2>/dev/null)" >>/var/lib/infratestd/events
      while :; do sleep 1000 & child=$!; wait "$child"; done

      """,
      "/lib/systemd/system/infratestd.service": """
      [Unit]
      Description=infra's test daemon
      [Service]
      ExecStart=/usr/sbin/infratestd
      ExecReload=/bin/sh -c 'echo "reload $(cat /etc/infratestd/main.conf)" >>/var/lib/infratestd/events; kill -HUP $MAINPID'
      [Install]
      WantedBy=multi-user.target

      """,
      "/etc/init.d/infratestd": """
      #!/bin/sh
      ### BEGIN INIT INFO
      # Provides:          infratestd
      # Required-Start:    $remote_fs
      # Required-Stop:     $remote_fs
      # Default-Start:     2 3 4 5
      # Default-Stop:      0 1 6
      # Short-Description: infra's test daemon
      ### END INIT INFO
      pidfile=/run/infratestd.pid
      case "$1" in
        start) start-stop-daemon --start --quiet --background --make-pidfile --pidfile $pidfile --startas /usr/sbin/infratestd --oknodo ;;
        stop) start-stop-daemon --stop --quiet --pidfile $pidfile --retry TERM/5/KILL/2 --oknodo --remove-pidfile ;;
        status) start-stop-daemon --status --pidfile $pidfile ;;
        reload) echo "reload $(cat /etc/infratestd/main.conf)" >>/var/lib/infratestd/events; start-stop-daemon --stop --signal HUP --quiet --pidfile $pidfile ;;
        restart) "$0" stop; "$0" start ;;
        *) echo "usage: $0 start|stop|status|reload|restart" >&2; exit 3 ;;
      esac

      """,
    ],
    scripts: [
      "postinst": """
      #!/bin/sh
      set -e
      if [ "$1" = configure ]; then invoke-rc.d infratestd start || true; fi

      """
    ])

  @Test(arguments: [true, false])
  func aUnitIsEnabledStartedReloadedOnceAndStopped(systemd: Bool) async throws {
    let fixture = try await ServerFixture(systemd: systemd)
    try await AptRepository(fixture.host.repository).publish([Self.daemon])

    // The package's install starts nothing: its postinst asks, and is refused.
    try fixture.write("packages/web.yaml", "install: [infratestd]\n")
    let install = try await fixture.infra("apply", "--yes")
    #expect(install.code == 0, "\(install)")
    #expect(try await running(fixture) == false)
    try await expectEvents(fixture, [])

    // Enabled and started after its configuration is in place: one start, no reload.
    try fixture.write(
      "services/web/infratestd.yaml",
      "enabled: true\nstate: running\nreload_on: [/etc/infratestd/]\n")
    try fixture.write("files/web/etc/infratestd/main.conf", "v1\n")
    try fixture.write("files/web/etc/infratestd/extra.conf", "a\n")
    let start = try await fixture.infra("apply", "--yes")
    #expect(start.code == 0, "\(start)")
    #expect(start.stdout.contains("enable and start infratestd"), "\(start)")
    #expect(try await running(fixture) == true)
    #expect(try await enabled(fixture) == true)
    try await expectEvents(fixture, ["start v1"])
    let quiet = try await fixture.infra("plan", "--detailed-exitcode")
    #expect(quiet.code == 0, "\(quiet)")

    // Two of its files change in one apply: one reload, after both were written.
    try fixture.write("files/web/etc/infratestd/main.conf", "v2\n")
    try fixture.write("files/web/etc/infratestd/extra.conf", "b\n")
    let plan = try await fixture.infra("plan")
    #expect(
      plan.stdout.contains(
        "after the changes of this apply to /etc/infratestd/extra.conf and 1 more"),
      "\(plan)")
    let reload = try await fixture.infra("apply", "--yes")
    #expect(reload.code == 0, "\(reload)")
    try await expectEvents(fixture, ["start v1", "reload v2"])
    // Nothing changed: nothing reloads.
    #expect(try await fixture.infra("apply", "--yes").code == 0)
    try await expectEvents(fixture, ["start v1", "reload v2"])

    // Stopped and disabled.
    try fixture.write(
      "services/web/infratestd.yaml",
      "enabled: false\nstate: stopped\nreload_on: [/etc/infratestd/]\n")
    let stop = try await fixture.infra("apply", "--yes")
    #expect(stop.code == 0, "\(stop)")
    #expect(try await running(fixture) == false)
    #expect(try await enabled(fixture) == false)
    #expect(try await fixture.infra("plan", "--detailed-exitcode").code == 0)
    await fixture.host.shutdown()
  }

  private func running(_ fixture: ServerFixture) async throws -> Bool {
    fixture.host.systemd
      ? try await fixture.host.root("systemctl is-active --quiet infratestd").code == 0
      : try await fixture.host.root("/etc/init.d/infratestd status").code == 0
  }

  private func enabled(_ fixture: ServerFixture) async throws -> Bool {
    fixture.host.systemd
      ? try await fixture.host.root("systemctl is-enabled --quiet infratestd").code == 0
      : try await fixture.host.root("ls /etc/rc2.d/S*infratestd").code == 0
  }

  /// The daemon's events are `expected`; the message says what they were.
  private func expectEvents(
    _ fixture: ServerFixture, _ expected: [String],
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let seen = try await events(fixture)
    #expect(seen == expected, "\(seen)", sourceLocation: sourceLocation)
  }

  private func events(_ fixture: ServerFixture) async throws -> [String] {
    try await fixture.host.root("cat /var/lib/infratestd/events 2>/dev/null").output
      .split(separator: "\n").map(String.init)
  }
}
