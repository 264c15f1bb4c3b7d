#!/usr/bin/env python3
"""Benchmarks infra against pyinfra, Ansible and rsync on the same work over SSH.

Run on purpose, not in CI:  bench/run.py [--runs N] [--slow-runs N] [--only W1,W2,W3,W4]
                                         [--skip pyinfra,ansible,rsync]
                            bench/run.py --render RESULTS.json... (merge and print saved runs)

It builds infra in release mode, installs pinned pyinfra and ansible-core from PyPI into a
private virtual environment (bench/.venv), starts its own sshd on a free port of 127.0.0.1
with generated keys (logging in as a dedicated user whose shell is /bin/sh), mounts a new
ext4 file system with a journal for every tool's targets, creates the workloads, runs each
tool several times, and prints a table of medians with each tool's time as a ratio to
infra's and each run's peak memory. The table and the raw numbers are written to
bench/results/. Workloads:

  W1  1,000 files of ~1 KiB in 50 folders on one host: first apply, no-change plan,
      plan of 10 changed files, their apply.
  W2  the same 1,000 files on 5 hosts, and 200 files on each of 50 hosts (host names that all
      point at the one sshd, each with its own target folder), against 200 files on 1 host;
      then 200 files on 10 and on 50 hosts with addresses and sshds of their own (network
      namespaces joined by veth pairs; root only), against rsync to the same hosts.
  W3  10,000 files on one host: how time and peak memory grow.
  W4  an external connector in Python (connectors/json_settings.py) on 1 and 20 hosts: its
      no-change plan as infra runs it (up to 8 calls in flight, the connector's
      `concurrency`), and one call at a time, as before protocol calls could overlap; then
      the same with 100 ms added to each host's read (a remote API's latency); and its round
      trips to one host with 1, 10 and 100 resources.

Every tool checks content by checksum (infra: SHA-256, pyinfra: SHA-1 facts, Ansible's copy:
checksums, rsync: --checksum), so all of them do the same work.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pwd
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV = BENCH / ".venv"
RESULTS = BENCH / "results"
WORK = Path("/tmp/infra-bench")
PYINFRA = "pyinfra==3.10.0"
ANSIBLE = "ansible-core==2.19.14"
USER = "infrabench" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
# GNU time, which reports a command's own peak memory (see `measure`).
GNU_TIME = "/usr/bin/time"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def sh(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)


# ---------------------------------------------------------------------------------------------
# Setup: packages, user, tools, sshd, the targets' file system


def mount_targets(work: Path) -> str:
    """Mounts a new ext4 file system, with a journal as servers have, at WORK/targets, where
    every tool writes, and says where the targets are. On this VM's own disk (ext4 without a
    journal) each new inode is looked for past the inodes freed in the last minutes (the
    kernel's `recently_deleted`): after the benchmark had removed the previous run's 10,000
    files, creating 10,000 took 1 to 4 s more, for rsync and infra alike, from one run to the
    next. With a journal that search is not made, and a fresh file system starts every
    benchmark alike. Without root (or sudo) or loop devices the targets stay on WORK's disk,
    and the report says so."""
    image, targets = work / "targets.img", work / "targets"
    targets.mkdir()
    with open(image, "wb") as file:
        file.truncate(4 << 30)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    try:
        # Inode tables and journal written now, not by a kernel thread while tools are measured.
        sh(shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4", "-q", "-F", "-E",
           "lazy_itable_init=0,lazy_journal_init=0", str(image))
        sh(*sudo, "mount", "-o", "loop", str(image), str(targets))
    except (OSError, subprocess.CalledProcessError) as error:
        image.unlink()
        log(f"cannot mount a file system for the targets ({error}): they are on {work}'s own "
            "disk, where first applies vary with what was removed before them")
        return f"targets on {work}'s own disk"
    if sudo:
        sh(*sudo, "chown", f"{os.getuid()}:{os.getgid()}", str(targets))
    targets.chmod(0o755)
    return "targets on a new ext4 file system with a journal"


def unmount_targets(work: Path) -> None:
    if os.path.ismount(work / "targets"):
        sh(*([] if os.geteuid() == 0 else ["sudo", "-n"]), "umount", str(work / "targets"))


def setup_machine() -> None:
    missing = [pkg for tool, pkg in [("rsync", "rsync"), ("ssh", "openssh-client")]
               if shutil.which(tool) is None]
    if not Path(GNU_TIME).exists():
        missing.append("time")
    if not Path("/usr/sbin/sshd").exists():
        missing.append("openssh-server")
    if missing:
        log(f"installing {' '.join(missing)}")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        sh(*sudo, "apt-get", "update", "-qq")
        sh(*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
           *missing)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            sh("useradd", "--create-home", "--shell", "/bin/sh", USER)
        sh("usermod", "--password", "*", USER)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)


def setup_tools(skip: set[str]) -> dict[str, str]:
    wanted = [spec for name, spec in [("pyinfra", PYINFRA), ("ansible", ANSIBLE)] if name not in skip]
    if wanted:
        if not (VENV / "bin" / "python").exists():
            log("creating bench/.venv")
            sh(sys.executable, "-m", "venv", str(VENV))
        log(f"installing {' '.join(wanted)} into bench/.venv")
        sh(str(VENV / "bin" / "pip"), "install", "-q", *wanted)
    log("building infra in release mode")
    sh("swift", "build", "-c", "release", "--product", "infra", cwd=ROOT,
       stdout=subprocess.DEVNULL)
    versions = {"infra": subprocess.run([str(ROOT / ".build/release/infra"), "--version"],
                                        capture_output=True, text=True).stdout.strip()}
    if "pyinfra" not in skip:
        versions["pyinfra"] = subprocess.run([str(VENV / "bin/pyinfra"), "--version"],
                                             capture_output=True, text=True).stdout.strip()
    if "ansible" not in skip:
        versions["ansible"] = subprocess.run([str(VENV / "bin/ansible"), "--version"],
                                             capture_output=True, text=True).stdout.splitlines()[0]
    if "rsync" not in skip:
        versions["rsync"] = subprocess.run(["rsync", "--version"], capture_output=True,
                                           text=True).stdout.splitlines()[0]
    return versions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SSHD:
    """A loopback sshd with fresh keys, stopped by its pid."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True)
        folder.chmod(0o755)
        for key in ("host_key", "client_key"):
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key))
        shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
        (folder / "authorized_keys").chmod(0o644)
        self.port = free_port()
        (folder / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_key\n"
            f"PidFile none\nAuthorizedKeysFile {folder}/authorized_keys\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            f"StrictModes no\nAllowUsers {USER}\nMaxSessions 200\nMaxStartups 200\n"
            "Subsystem sftp internal-sftp\nLogLevel ERROR\n")
        self.process = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", str(folder / "sshd_config"), "-E",
             str(folder / "sshd.log")])
        for _ in range(250):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        host_key = " ".join((folder / "host_key.pub").read_text().split()[:2])
        self.known_hosts = folder / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_key}\n")
        self.key = folder / "client_key"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait()

    def ssh_command(self) -> str:
        return (f"ssh -i {self.key} -p {self.port} -o IdentitiesOnly=yes -o BatchMode=yes "
                f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes")


# ---------------------------------------------------------------------------------------------
# Workloads


def make_tree(folder: Path, files: int, folders: int) -> list[Path]:
    """`files` files of ~1 KiB spread over `folders` folders; returns their relative paths."""
    paths = []
    for index in range(files):
        relative = Path(f"dir{index % folders:02d}") / f"file{index:05d}.txt"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        line = f"file {index}: the quick brown fox jumps over the lazy dog\n"
        target.write_text(line * (1024 // len(line)))
        paths.append(relative)
    return paths


def give_away(path: Path) -> None:
    if os.geteuid() == 0:
        sh("chown", "-R", f"{USER}:{USER}", str(path))


def reset(target: Path, source: Path | None) -> None:
    """Empties `target`, or makes it a copy of `source`, owned by the SSH user."""
    if target.exists():
        shutil.rmtree(target)
    if source is None:
        target.mkdir(parents=True)
    else:
        shutil.copytree(source, target)
    give_away(target)


def change(target: Path, paths: list[Path], count: int = 10) -> list[Path]:
    """Makes `count` files of `target` differ from the source; returns them."""
    changed = paths[:: max(1, len(paths) // count)][:count]
    for relative in changed:
        (target / relative).write_text("edited by hand on the host\n")
    give_away(target)
    return changed


# ---------------------------------------------------------------------------------------------
# Tools: each returns the command for an apply and for a dry check.


class Infra:
    name = "infra"

    def __init__(self, work: Path, sshd: SSHD, source: Path, targets: dict[str, Path],
                 files_per_host: dict[str, Path],
                 endpoints: dict[str, str] | None = None, known_hosts: Path | None = None):
        self.repo = work / "infra-repo"
        if self.repo.exists():
            shutil.rmtree(self.repo)
        # Each host's address:port: the one sshd unless hosts of their own are given.
        endpoints = endpoints or {host: f"127.0.0.1:{sshd.port}" for host in targets}
        hosts = "\n".join(
            f"  {host}:\n    connect: ssh://{USER}@{endpoints[host]}\n    data:\n"
            f"      ssh_identity_file: {sshd.key}\n"
            f"      ssh_known_hosts_file: {known_hosts or sshd.known_hosts}"
            for host in targets)
        (self.repo / "resources/bench/files").mkdir(parents=True)
        # The hosts' apply locks in a folder of the bench's own, which the SSH user owns.
        locks = work / "locks"
        locks.mkdir(exist_ok=True)
        give_away(locks)
        (self.repo / "infra.yaml").write_text(
            f"version: 1\nhosts:\n{hosts}\nlocks: {{ folder: {locks} }}\nprefixes:\n"
            "  bench:\n    connectors:\n      - name: files\n        options: { root: / }\n")
        for host, target in targets.items():
            tree = self.repo / "resources/bench/files" / host / str(target).lstrip("/")
            shutil.copytree(files_per_host[host], tree)
        self.binary = ROOT / ".build/release/infra"
        self.events = work / "infra-events.jsonl"

    def apply(self) -> list[str]:
        return [str(self.binary), "-C", str(self.repo), "apply", "--yes", "--events",
                str(self.events)]

    def check(self) -> list[str]:
        return [str(self.binary), "-C", str(self.repo), "plan", "--events", str(self.events)]

    def disconnect(self) -> None:
        """Closes the connections a run left open (ssh_persist): the next run is cold."""
        subprocess.run([str(self.binary), "-C", str(self.repo), "disconnect"],
                       stdout=subprocess.DEVNULL, check=True)

    def round_trips(self) -> dict[str, int]:
        """Transport calls per host of the last run, as infra reports them."""
        last = json.loads(self.events.read_text().splitlines()[-1])
        return {host: sum(stats["round_trips"].values())
                for host, stats in last["data"]["stats"].items()}


class PyInfra:
    def __init__(self, work: Path, sshd: SSHD, source: Path, targets: dict[str, Path],
                 mode: str):
        self.name = "pyinfra " + ("files.put" if mode == "put" else "files.sync")
        self.folder = work / f"pyinfra-{mode}"
        self.folder.mkdir(parents=True, exist_ok=True)
        hosts = ",\n".join(
            f"    ({host!r}, {{'ssh_hostname': '127.0.0.1', 'ssh_port': {sshd.port}, "
            f"'ssh_user': {USER!r}, 'ssh_key': '{sshd.key}', "
            f"'ssh_known_hosts_file': '{sshd.known_hosts}', "
            f"'ssh_strict_host_key_checking': 'yes', 'dest': '{target}'}})"
            for host, target in targets.items())
        (self.folder / "inventory.py").write_text(f"hosts = [\n{hosts},\n]\n")
        if mode == "put":
            deploy = f"""
import os
from pyinfra import host
from pyinfra.operations import files

source = {str(source)!r}
for folder, _, names in sorted(os.walk(source)):
    relative = os.path.relpath(folder, source)
    dest = os.path.normpath(os.path.join(host.data.dest, relative))
    files.directory(name=f"folder {{relative}}", path=dest)
    for name in sorted(names):
        files.put(name=f"file {{relative}}/{{name}}", src=os.path.join(folder, name),
                  dest=os.path.join(dest, name), mode="644")
"""
        else:
            deploy = f"""
from pyinfra import host
from pyinfra.operations import files

files.sync(name="sync", src={str(source)!r}, dest=host.data.dest)
"""
        (self.folder / "deploy.py").write_text(deploy)

    def command(self, dry: bool) -> list[str]:
        return [str(VENV / "bin/pyinfra"), "-y", *(["--dry"] if dry else []),
                str(self.folder / "inventory.py"), str(self.folder / "deploy.py")]

    def apply(self) -> list[str]:
        return self.command(False)

    def check(self) -> list[str]:
        return self.command(True)


class Ansible:
    name = "ansible copy"

    def __init__(self, work: Path, sshd: SSHD, source: Path, targets: dict[str, Path]):
        self.folder = work / "ansible"
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = ["[bench]"] + [
            f"{host} ansible_host=127.0.0.1 ansible_port={sshd.port} ansible_user={USER} "
            f"ansible_ssh_private_key_file={sshd.key} dest={target}"
            for host, target in targets.items()]
        lines += ["[bench:vars]", "ansible_python_interpreter=/usr/bin/python3",
                  f"ansible_ssh_common_args='-o UserKnownHostsFile={sshd.known_hosts} "
                  "-o StrictHostKeyChecking=yes'"]
        (self.folder / "inventory.ini").write_text("\n".join(lines) + "\n")
        (self.folder / "playbook.yml").write_text(
            "- hosts: bench\n  gather_facts: false\n  tasks:\n"
            f"    - copy: {{ src: '{source}/', dest: '{{{{ dest }}}}/', mode: '0644' }}\n")
        self.env = {**os.environ, "ANSIBLE_PIPELINING": "1", "ANSIBLE_HOST_KEY_CHECKING": "True",
                    "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.folder / "cp"),
                    "ANSIBLE_LOCAL_TEMP": str(self.folder / "tmp"), "ANSIBLE_FORKS": "10"}

    def command(self, dry: bool) -> list[str]:
        return [str(VENV / "bin/ansible-playbook"), "-i", str(self.folder / "inventory.ini"),
                *(["--check"] if dry else []), str(self.folder / "playbook.yml")]

    def apply(self) -> list[str]:
        return self.command(False)

    def check(self) -> list[str]:
        return self.command(True)


class Rsync:
    name = "rsync --checksum"

    def __init__(self, sshd: SSHD, source: Path, targets: dict[str, Path]):
        self.sshd = sshd
        self.source = source
        self.targets = targets

    def command(self, dry: bool) -> list[str]:
        # One host: rsync itself. Several: the same command per host, 10 at once, as infra's
        # default parallelism.
        one = ["rsync", "-a", "--checksum", *(["-n"] if dry else []), "-e",
               self.sshd.ssh_command(), f"{self.source}/"]
        if len(self.targets) == 1:
            target = next(iter(self.targets.values()))
            return one + [f"{USER}@127.0.0.1:{target}/"]
        targets = " ".join(shlex.quote(str(t)) for t in self.targets.values())
        script = (f"printf '%s\\n' {targets} | xargs -P 10 -I TARGET "
                  f"{shlex.join(one)} {shlex.quote(USER)}@127.0.0.1:TARGET/")
        return ["sh", "-c", script]

    def apply(self) -> list[str]:
        return self.command(False)

    def check(self) -> list[str]:
        return self.command(True)


# ---------------------------------------------------------------------------------------------
# Measuring


def measure(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one run of `command`.

    Output goes to a file, not a pipe: a tool that writes much would otherwise block on a full
    pipe and be timed waiting for us. The memory is GNU time's report of the command: a process
    started from this Python process has Python's resident size as its peak, as Linux keeps the
    high-water mark across `exec`, which made rsync (about 6 MiB) look 20 to 28 MiB large; GNU
    time starts the command from a process of its own, a few MiB small.
    """
    peak = WORK / "last-peak-rss"
    with open(WORK / "last-output.log", "wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", str(peak), *command],
                                   stdout=output, stderr=subprocess.STDOUT, env=env)
        _, status, _ = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        tail = (WORK / "last-output.log").read_bytes()[-3000:].decode(errors="replace")
        raise RuntimeError(f"{command[0]} exited {code}:\n{tail}")
    # A command that exits non-zero makes GNU time say so on a line before the number.
    return elapsed, int(peak.read_text().split()[-1])


def series(runs: int, prepare, command: list[str], env: dict | None = None) -> dict:
    times, memory = [], []
    for _ in range(runs):
        prepare()
        seconds, rss = measure(command, env)
        times.append(seconds)
        memory.append(rss)
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": len(times), "peak_rss_mib": max(memory) / 1024}


# ---------------------------------------------------------------------------------------------
# The workloads


def run_w1(args, sshd: SSHD, work: Path, results: dict) -> None:
    source = work / "w1-source"
    paths = make_tree(source, 1000, 50)
    tools = []
    target = lambda tool: work / "targets" / tool  # noqa: E731
    infra = Infra(work, sshd, source, {"host0": target("infra")}, {"host0": source})
    tools.append(("infra", infra, target("infra"), None))
    if "pyinfra" not in args.skip:
        tools.append(("pyinfra-put", PyInfra(work, sshd, source, {"host0": target("pyinfra-put")},
                                             "put"), target("pyinfra-put"), None))
        tools.append(("pyinfra-sync",
                      PyInfra(work, sshd, source, {"host0": target("pyinfra-sync")}, "sync"),
                      target("pyinfra-sync"), None))
    if "ansible" not in args.skip:
        ansible = Ansible(work, sshd, source, {"host0": target("ansible")})
        tools.append(("ansible", ansible, target("ansible"), ansible.env))
    if "rsync" not in args.skip:
        tools.append(("rsync", Rsync(sshd, source, {"host0": target("rsync")}), target("rsync"),
                      None))

    steps = {}
    for key, tool, folder, env in tools:
        runs = args.runs if key in ("infra", "rsync") else args.slow_runs
        name = tool.name
        # infra's runs are cold (a new handshake each) unless the step says warm: the
        # connection a run leaves open (ssh_persist) is closed before each.
        cold = infra.disconnect if key == "infra" else (lambda: None)
        log(f"W1 {name}: first apply ×{runs}")
        steps.setdefault("first apply", {})[name] = series(
            runs, lambda: (reset(folder, None), cold()), tool.apply(), env)
        if key == "infra":
            results["round_trips"]["W1 first apply"] = infra.round_trips()
        log(f"W1 {name}: no-change plan ×{runs}")
        reset(folder, source)
        steps.setdefault("no-change plan", {})[name] = series(runs, cold, tool.check(), env)
        if key == "infra":
            results["round_trips"]["W1 no-change plan"] = infra.round_trips()
            log(f"W1 {name}: no-change plan within ssh_persist of the last run ×{runs}")
            measure(tool.check())
            steps.setdefault("no-change plan, a run within the last minute", {})[name] = series(
                runs, lambda: None, tool.check(), env)
            infra.disconnect()
        log(f"W1 {name}: plan of 10 changed files ×{runs}")
        change(folder, paths)
        steps.setdefault("plan of 10 changed", {})[name] = series(runs, cold, tool.check(), env)
        if key == "infra":
            results["round_trips"]["W1 plan of 10 changed"] = infra.round_trips()
        log(f"W1 {name}: apply of the 10 ×{runs}")
        steps.setdefault("apply of the 10", {})[name] = series(
            runs, lambda: (change(folder, paths), cold()), tool.apply(), env)
        if key == "infra":
            results["round_trips"]["W1 apply of the 10"] = infra.round_trips()
    results["workloads"]["W1: 1,000 files, 1 host"] = steps


def run_w2(args, sshd: SSHD, work: Path, results: dict) -> None:
    steps: dict = {}
    for label, hosts, count in [("1 host × 200 files", 1, 200), ("5 hosts × 1,000 files", 5, 1000),
                                ("50 hosts × 200 files", 50, 200)]:
        source = work / f"w2-source-{count}"
        if not source.exists():
            make_tree(source, count, max(1, count // 20))
        targets = {f"host{i:02d}": work / "targets" / "w2" / f"{hosts}-{i:02d}"
                   for i in range(hosts)}
        infra = Infra(work, sshd, source, targets, {h: source for h in targets})
        empty, full = measure_w2_infra(args, label, infra, targets, source, steps, results)
        if "rsync" not in args.skip:
            rsync = Rsync(sshd, source, targets)
            log(f"W2 {label}: rsync first apply ×{args.runs}")
            steps[f"first apply, {label}"]["rsync --checksum"] = series(args.runs, empty,
                                                                        rsync.apply())
            log(f"W2 {label}: rsync no-change check ×{args.runs}")
            full()
            steps[f"no-change plan, {label}"]["rsync --checksum"] = series(
                args.runs, lambda: None, rsync.check())
    if "netns" not in args.skip:
        run_w2_own_addresses(args, sshd, work, steps, results)
    results["workloads"]["W2: many hosts"] = steps


def measure_w2_infra(args, label: str, infra: "Infra", targets: dict[str, Path], source: Path,
                     steps: dict, results: dict):
    """infra's first apply (cold) and no-change plan (cold) of `source` on every target, and its
    round trips per host; returns the functions that empty and fill the targets, for rsync."""
    def empty() -> None:
        for target in targets.values():
            reset(target, None)

    def full() -> None:
        for target in targets.values():
            reset(target, source)

    log(f"W2 {label}: infra first apply ×{args.runs}")
    steps.setdefault(f"first apply, {label}", {})["infra"] = series(
        args.runs, lambda: (empty(), infra.disconnect()), infra.apply())
    full()
    log(f"W2 {label}: infra no-change plan ×{args.runs}")
    steps.setdefault(f"no-change plan, {label}", {})["infra"] = series(
        args.runs, infra.disconnect, infra.check())
    results["round_trips"][f"W2 no-change plan, {label} (per host)"] = sorted(
        set(infra.round_trips().values()))
    return empty, full


class OwnHosts:
    """`count` hosts with addresses of their own: a network namespace each, joined to this
    machine by a veth pair (10.X.N.2, this side 10.X.N.1), with an sshd inside that takes the
    bench's keys. The namespaces, links and sshds are removed by `stop`."""

    def __init__(self, count: int, sshd: SSHD, work: Path):
        self.addresses: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.namespaces: list[str] = []
        self.links: list[str] = []
        folder = work / f"own-hosts-{count}"
        folder.mkdir(parents=True, exist_ok=True)
        host_key = " ".join((sshd.folder / "host_key.pub").read_text().split()[:2])
        lines = []
        try:
            # Names and addresses of each size its own: a namespace's links go away a moment
            # after it is deleted, not at once.
            net = 200 + count % 50
            for index in range(count):
                namespace, link = f"infrab{count}-{index}", f"ib{count}-{index}"
                address = f"10.{net}.{index}.2"
                sh("ip", "netns", "add", namespace)
                self.namespaces.append(namespace)
                sh("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0",
                   "netns", namespace)
                self.links.append(link)
                sh("ip", "addr", "add", f"10.{net}.{index}.1/30", "dev", link)
                sh("ip", "link", "set", link, "up")
                inside = ["ip", "netns", "exec", namespace]
                sh(*inside, "ip", "addr", "add", f"{address}/30", "dev", "eth0")
                sh(*inside, "ip", "link", "set", "eth0", "up")
                sh(*inside, "ip", "link", "set", "lo", "up")
                config = folder / f"sshd-{index}.conf"
                config.write_text(
                    (sshd.folder / "sshd_config").read_text()
                    .replace(f"Port {sshd.port}", "Port 22")
                    .replace("ListenAddress 127.0.0.1", f"ListenAddress {address}"))
                self.processes.append(subprocess.Popen(
                    [*inside, "/usr/sbin/sshd", "-D", "-f", str(config), "-E",
                     str(folder / f"sshd-{index}.log")]))
                self.addresses.append(address)
                lines.append(f"{address} {host_key}")
            for address in self.addresses:
                for _ in range(500):
                    try:
                        socket.create_connection((address, 22), timeout=0.2).close()
                        break
                    except OSError:
                        time.sleep(0.02)
        except BaseException:
            self.stop()
            raise
        self.known_hosts = folder / "known_hosts"
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
            process.wait()
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], check=False, stderr=subprocess.DEVNULL)
        for namespace in self.namespaces:
            subprocess.run(["ip", "netns", "del", namespace], check=False)


def run_w2_own_addresses(args, sshd: SSHD, work: Path, steps: dict, results: dict) -> None:
    """W2 on 10 and 50 hosts that each have their own address and sshd, against rsync to the
    same hosts (10 at a time, as infra's default parallelism)."""
    source = work / "w2-source-200"
    if not source.exists():
        make_tree(source, 200, 10)
    for count in (10, 50):
        label = f"{count} hosts of their own × 200 files"
        hosts = OwnHosts(count, sshd, work)
        try:
            names = [f"host{i:02d}" for i in range(count)]
            targets = {name: work / "targets" / "w2own" / f"{count}-{i:02d}"
                       for i, name in enumerate(names)}
            endpoints = {name: f"{hosts.addresses[i]}:22" for i, name in enumerate(names)}
            infra = Infra(work, sshd, source, targets, {h: source for h in targets},
                          endpoints=endpoints, known_hosts=hosts.known_hosts)
            empty, full = measure_w2_infra(args, label, infra, targets, source, steps, results)
            measure(infra.check())
            steps.setdefault(f"no-change plan, {label}, a run within the last minute", {})[
                "infra"] = series(args.runs, lambda: None, infra.check())
            infra.disconnect()
            if "rsync" not in args.skip:
                ssh = (f"ssh -i {sshd.key} -o IdentitiesOnly=yes -o BatchMode=yes "
                       f"-o UserKnownHostsFile={hosts.known_hosts} -o StrictHostKeyChecking=yes")
                pairs = " ".join(f"{endpoints[n].split(':')[0]} {shlex.quote(str(targets[n]))}"
                                 for n in names)

                def rsync(dry: bool) -> list[str]:
                    one = ["rsync", "-a", "--checksum", *(["-n"] if dry else []), "-e", ssh,
                           f"{source}/"]
                    return ["sh", "-c",
                            f"printf '%s %s\\n' {pairs} | xargs -P 10 -L 1 sh -c "
                            + shlex.quote(shlex.join(one) + f' "{USER}@$0:$1/"')]

                log(f"W2 {label}: rsync first apply ×{args.runs}")
                steps[f"first apply, {label}"]["rsync --checksum"] = series(
                    args.runs, empty, rsync(False))
                full()
                log(f"W2 {label}: rsync no-change check ×{args.runs}")
                steps[f"no-change plan, {label}"]["rsync --checksum"] = series(
                    args.runs, lambda: None, rsync(True))
        finally:
            hosts.stop()


def run_w3(args, sshd: SSHD, work: Path, results: dict) -> None:
    steps: dict = {}
    for count in (1000, 10000):
        source = work / f"w3-source-{count}"
        if not source.exists():
            make_tree(source, count, 50 if count == 1000 else 500)
        target = work / "targets" / f"w3-{count}"
        infra = Infra(work, sshd, source, {"host0": target}, {"host0": source})
        label = f"{count:,} files"
        log(f"W3 {label}: infra first apply ×{args.runs}")
        steps.setdefault("first apply", {})[f"infra, {label}"] = series(
            args.runs, lambda: (reset(target, None), infra.disconnect()), infra.apply())
        log(f"W3 {label}: infra no-change plan ×{args.runs}")
        reset(target, source)
        steps.setdefault("no-change plan", {})[f"infra, {label}"] = series(
            args.runs, infra.disconnect, infra.check())
        results["round_trips"][f"W3 no-change plan, {label}"] = infra.round_trips()
        measure(infra.check())
        steps.setdefault("no-change plan, a run within the last minute", {})[
            f"infra, {label}"] = series(args.runs, lambda: None, infra.check())
        infra.disconnect()
        if "rsync" not in args.skip:
            rsync = Rsync(sshd, source, {"host0": target})
            log(f"W3 {label}: rsync first apply ×{args.runs}")
            steps["first apply"][f"rsync --checksum, {label}"] = series(
                args.runs, lambda: reset(target, None), rsync.apply())
            reset(target, source)
            steps["no-change plan"][f"rsync --checksum, {label}"] = series(
                args.runs, lambda: None, rsync.check())
    results["workloads"]["W3: growth"] = steps


def run_w4(args, sshd: SSHD, work: Path, results: dict) -> None:
    steps: dict = {}
    repo = work / "w4-repo"
    (repo / "connectors").mkdir(parents=True)
    for name in ("infra_connector.py", "json_settings.py"):
        shutil.copy(ROOT / "connectors" / name, repo / "connectors" / name)
    # Variants: one call at a time, and a read that first waits 100 ms (as for a remote API:
    # the latency a loopback sshd does not have).
    for name, body in (("serial", "concurrency = 1"),
                       ("slow", "def read_all(self, host, items):\n"
                                "        time.sleep(0.1)\n"
                                "        return super().read_all(host, items)"),
                       ("slow_serial", "concurrency = 1\n\n"
                                       "    def read_all(self, host, items):\n"
                                       "        time.sleep(0.1)\n"
                                       "        return super().read_all(host, items)")):
        (repo / f"connectors/{name}_settings.py").write_text(
            "import sys, time\nfrom pathlib import Path\n"
            "sys.path.insert(0, str(Path(__file__).parent))\n"
            "from json_settings import JSONSettings, main\n\n"
            f"class Variant(JSONSettings):\n    {body}\n\nmain(Variant())\n")
    targets = work / "targets" / "w4"
    targets.mkdir(parents=True)
    give_away(targets)
    binary = str(ROOT / ".build/release/infra")
    for count in (1, 20):
        hosts = [f"host{i:02d}" for i in range(count)]
        resources = repo / "resources/bench/settings"
        if resources.exists():
            shutil.rmtree(resources)
        for host in hosts:
            (resources / host).mkdir(parents=True)
            (resources / host / "app.json").write_text(json.dumps(
                {"file": str(targets / f"{host}.json"),
                 "keys": {"server.port": 8080, "log.level": "info", "features.beta": True}}))
        label = f"{count} host{'s' if count > 1 else ''}"
        for tool, program in ((f"infra, {label}", "json_settings.py"),
                              (f"one call at a time, {label}", "serial_settings.py"),
                              (f"infra, {label}, +100 ms per read", "slow_settings.py"),
                              (f"one call at a time, {label}, +100 ms per read",
                               "slow_serial_settings.py")):
            inventory = "\n".join(
                f"  {host}:\n    connect: ssh://{USER}@127.0.0.1:{sshd.port}\n    data:\n"
                f"      ssh_identity_file: {sshd.key}\n      ssh_known_hosts_file: {sshd.known_hosts}"
                for host in hosts)
            (repo / "infra.yaml").write_text(
                f"version: 1\nhosts:\n{inventory}\nlocks: {{ folder: {targets}/locks }}\n"
                "prefixes:\n  bench:\n    connectors:\n"
                f"      - name: settings\n        run: [python3, connectors/{program}]\n")
            measure([binary, "-C", str(repo), "apply", "--yes"])
            log(f"W4 {tool}: no-change plan ×{args.runs}")
            steps.setdefault("no-change plan", {})[tool] = series(
                args.runs, lambda: None, [binary, "-C", str(repo), "plan"])
    # Round trips of one host as its resources grow (the target: constant from 1 to 100).
    trips = results["round_trips"]
    host = "host00"
    inventory = (f"  {host}:\n    connect: ssh://{USER}@127.0.0.1:{sshd.port}\n    data:\n"
                 f"      ssh_identity_file: {sshd.key}\n      ssh_known_hosts_file: {sshd.known_hosts}")
    (repo / "infra.yaml").write_text(
        f"version: 1\nhosts:\n{inventory}\nlocks: {{ folder: {targets}/locks }}\n"
        "prefixes:\n  bench:\n    connectors:\n"
        "      - name: settings\n        run: [python3, connectors/json_settings.py]\n")
    events = work / "w4-events.jsonl"
    for count in (1, 10, 100):
        resources = repo / "resources/bench/settings"
        if resources.exists():
            shutil.rmtree(resources)
        (resources / host).mkdir(parents=True)
        for index in range(count):
            (resources / host / f"app{index}.json").write_text(json.dumps(
                {"file": str(targets / f"scale-{count}-{index}.json"),
                 "keys": {"server.port": 8000 + index, "log.level": "info"}}))
        for step, command in (("first apply", ["apply", "--yes"]), ("no-change plan", ["plan"])):
            measure([binary, "-C", str(repo), *command, "--events", str(events)])
            last = json.loads(events.read_text().splitlines()[-1])
            calls = last["data"]["stats"][host]["round_trips"].get("bench/settings", 0)
            trips[f"W4 {count} resources on one host: {step}"] = {host: calls}
            log(f"W4 {count} resources on one host, {step}: {calls} round trips")
    results["workloads"]["W4: an external connector across hosts"] = steps


# ---------------------------------------------------------------------------------------------
# Report


def infra_median(tools: dict, name: str) -> float | None:
    """infra's median on the same work as `name`: `rsync, 1,000 files` pairs with
    `infra, 1,000 files`; a name without such a suffix pairs with plain `infra`."""
    suffix = name.split(", ", 1)[1] if ", " in name else None
    for other, m in tools.items():
        if other.startswith("infra") and (suffix is None or other.endswith(", " + suffix)):
            return m["median"]
    return None


def merge(paths: list[str]) -> dict:
    """Results of several runs as one: later files win for the same step and tool, so that
    the slow tools of one run and infra's numbers of a newer build can share a table."""
    merged: dict = {}
    for path in paths:
        results = json.loads(Path(path).read_text())
        if not merged:
            merged = results
            merged["sources"] = [path]
            continue
        merged["sources"].append(path)
        merged["date"] = results["date"]
        merged["versions"].update(results["versions"])
        merged["round_trips"].update(results["round_trips"])
        for workload, steps in results["workloads"].items():
            for step, tools in steps.items():
                merged["workloads"].setdefault(workload, {}).setdefault(step, {}).update(tools)
    return merged


def report(results: dict) -> str:
    lines = [f"# infra benchmark, {results['date']}", "",
             f"Machine: {results['machine']}. Medians of {results['runs']} runs for infra and "
             f"rsync, {results['slow_runs']} for pyinfra and Ansible; ratio = the tool's median "
             "time / infra's on the same step (above 1 means slower than infra).", "",
             "Versions: " + "; ".join(f"{k} {v}" for k, v in results["versions"].items()), ""]
    if "sources" in results:
        lines += ["Merged from " + ", ".join(f"`{Path(p).name}`" for p in results["sources"])
                  + " (later files win for the same step and tool).", ""]
    for workload, steps in results["workloads"].items():
        lines += [f"## {workload}", "",
                  "| step | tool | median s | min–max s | ratio to infra | peak RSS MiB |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        for step, tools in steps.items():
            for name, m in tools.items():
                base = infra_median(tools, name)
                ratio = f"{m['median'] / base:.1f}×" if base and not name.startswith("infra") else ""
                lines.append(f"| {step} | {name} | {m['median']:.2f} | "
                             f"{m['min']:.2f}–{m['max']:.2f} | {ratio} | {m['peak_rss_mib']:.0f} |")
        lines.append("")
    lines += ["## Round trips reported by infra (transport calls per host)", ""]
    for step, value in results["round_trips"].items():
        lines.append(f"- {step}: {value}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of infra and rsync (default 5)")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help="runs of pyinfra and Ansible (default 3)")
    parser.add_argument("--only", default="W1,W2,W3,W4", help="workloads to run (default all)")
    parser.add_argument("--skip", default="",
                        help="tools to leave out: pyinfra,ansible,rsync; netns leaves out the "
                             "hosts with addresses of their own")
    parser.add_argument("--render", nargs="+", metavar="JSON",
                        help="only print the table of saved results, merged in order")
    args = parser.parse_args()
    if args.render:
        print(report(merge(args.render)), end="")
        return 0
    args.skip = set(filter(None, args.skip.split(",")))
    only = set(args.only.split(","))

    setup_machine()
    versions = setup_tools(args.skip)
    unmount_targets(WORK)
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    WORK.chmod(0o755)
    ground = mount_targets(WORK)
    sshd = SSHD(WORK / "sshd")
    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": f"{platform.node()}, {os.cpu_count()} cores, {platform.platform()}, "
                          + ground,
               "runs": args.runs, "slow_runs": args.slow_runs, "versions": versions,
               "workloads": {}, "round_trips": {}}
    try:
        if "W1" in only:
            run_w1(args, sshd, WORK, results)
        if "W2" in only:
            run_w2(args, sshd, WORK, results)
        if "W3" in only:
            run_w3(args, sshd, WORK, results)
        if "W4" in only:
            run_w4(args, sshd, WORK, results)
    finally:
        sshd.stop()
        unmount_targets(WORK)
    text = report(results)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    (RESULTS / f"{stamp}.md").write_text(text)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    log(f"written to bench/results/{stamp}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
