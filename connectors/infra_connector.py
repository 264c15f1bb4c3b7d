"""The Python SDK for infra connectors: a class and one `main` call.

A connector manages one kind of resource on the hosts of the inventory. Its resource files
live under `resources/<prefix>/<name>/<host or @group>/<resource name>`; this SDK finds the
hosts each file applies to, so a connector only says what a file means (`parse`), what a host
has (`read`), what would change (`plan`) and how to change it (`apply`). It reaches hosts only
through `Host.run`, `Host.put` and `Host.get`, which infra executes through its own
transports (local or SSH, with sudo), so a connector needs no SSH client of its own.

    from infra_connector import Connector, Host, Op, main

    class Motd(Connector):
        summary = "The message of the day"
        def parse(self, name, content): return content
        def read(self, host, name, desired):
            result = host.run("cat /etc/motd")
            return result.text if result.exit_code == 0 else None
        def plan(self, host, name, desired, live): ...
        def apply(self, host, name, action, payload): ...

    if __name__ == "__main__":
        main(Motd())

The wire protocol is JSON-RPC 2.0, one message per line on standard input and output
(connectors/PROTOCOL.md); print nothing else on standard output. Standard error is free for
diagnostics: infra shows its tail when the connector fails. Standard library only.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

PROTOCOL_VERSION = 1


class ConnectorError(Exception):
    """A failure to report to people: its message is shown as the reason, `hint` after it."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.hint = hint


class ParseError(ConnectorError):
    """A resource file that cannot be read, with the line (and column) where it goes wrong."""

    def __init__(self, message: str, line: Optional[int] = None,
                 column: Optional[int] = None, hint: Optional[str] = None) -> None:
        super().__init__(message, hint)
        self.line = line
        self.column = column


@dataclass
class Option:
    """A setting the connector takes under `options:` in infra.yaml (checked by infra)."""

    name: str
    type: str  # "string", "integer", "boolean", "list" or "mapping"
    default: Any = None
    description: str = ""


@dataclass
class RunResult:
    """What a command did on a host."""

    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        """Standard output as text."""
        return self.stdout.decode("utf-8", errors="replace")

    def check(self, what: str) -> "RunResult":
        """Raises a ConnectorError naming `what` unless the command succeeded."""
        if self.exit_code != 0:
            detail = self.stderr.decode("utf-8", errors="replace").strip()
            raise ConnectorError(f"{what} failed with exit code {self.exit_code}: {detail}")
        return self


@dataclass
class Op:
    """One step of a plan for one resource."""

    action: str  # "create", "update" or "delete"
    message: str  # one line for people: "update the crontab of app: 2 lines"
    payload: Any = None  # what apply needs; kept in saved plans
    diff: Optional[str] = None
    details: list = field(default_factory=list)


class Host:
    """An inventory host, reached through infra's transports."""

    def __init__(self, wire: "_Wire", name: str, groups: list, data: dict) -> None:
        self._wire = wire
        self.name = name
        self.groups = groups
        self.data = data

    def run(self, command: str, input: Optional[bytes] = None,
            timeout: Optional[int] = None) -> RunResult:
        """Runs a shell command on the host; never raises for a non-zero exit code."""
        params: dict = {"host": self.name, "command": command}
        if input is not None:
            params["input"] = base64.b64encode(input).decode("ascii")
        if timeout is not None:
            params["timeout"] = timeout
        result = self._wire.call("host/run", params)
        return RunResult(result["exit_code"], base64.b64decode(result["stdout"]),
                         base64.b64decode(result["stderr"]))

    def put(self, path: str, content: bytes, mode: Optional[str] = None,
            owner: Optional[str] = None, group: Optional[str] = None) -> None:
        """Writes a file on the host atomically, with an octal `mode` such as "0644"."""
        params = {"host": self.name, "path": path,
                  "content": base64.b64encode(content).decode("ascii")}
        for key, value in (("mode", mode), ("owner", owner), ("group", group)):
            if value is not None:
                params[key] = value
        self._wire.call("host/put", params)

    def get(self, path: str) -> bytes:
        """Reads a file of the host."""
        return base64.b64decode(self._wire.call("host/get", {"host": self.name, "path": path})["content"])


class Connector:
    """Subclass this; override `parse`, `read`, `plan` and `apply`."""

    summary: str = "an external connector"
    layout: str = "<host or @group>/<name>"
    options: list = []
    host_data: list = []  # Options describing the `data:` keys of hosts it reads

    def __init__(self) -> None:
        self.settings: dict = {}
        self.name = ""
        self.prefix = ""
        self._wire: Optional["_Wire"] = None

    def log(self, message: str, level: str = "info", address: Optional[str] = None) -> None:
        """Tells infra something worth keeping in the run's events (`connector_log`);
        `level` is debug, info, warning or error."""
        if self._wire is not None:
            params = {"level": level, "message": message}
            if address is not None:
                params["address"] = address
            self._wire.send({"method": "log", "params": params})

    def parse(self, name: str, content: str) -> Any:
        """The desired state a resource file declares; raise ParseError for a bad file."""
        return content

    def read(self, host: Host, name: str, desired: Any) -> Any:
        """The live state of one resource, or None when it does not exist."""
        raise ConnectorError(f"{type(self).__name__} does not implement read")

    def read_all(self, host: Host, items: list) -> dict:
        """The live state of many resources of a host: override to read them in one command."""
        return {name: self.read(host, name, desired) for name, desired in items}

    def plan(self, host: Host, name: str, desired: Any, live: Any) -> Optional[Op]:
        """The op that makes `live` match `desired` (None: delete), or None when they match."""
        raise ConnectorError(f"{type(self).__name__} does not implement plan")

    def apply(self, host: Host, name: str, action: str, payload: Any) -> None:
        """Executes one op planned by `plan`; raise ConnectorError when it fails."""
        raise ConnectorError(f"{type(self).__name__} does not implement apply")

    def list_all(self, host: Host) -> dict:
        """What the host has, as `{resource name: file content}`, for `infra import`."""
        raise ConnectorError(f"{type(self).__name__} cannot list what a host has")

    def fingerprint(self, state: Any) -> str:
        """A short digest of a live state: a saved plan is stale when it moved."""
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]

    @staticmethod
    def unified_diff(old: str, new: str, old_name: str, new_name: str) -> Optional[str]:
        """A unified diff of two texts, as plans show them, or None when they are equal."""
        lines = list(difflib.unified_diff(old.splitlines(keepends=True),
                                          new.splitlines(keepends=True), old_name, new_name))
        if not lines:
            return None
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


class Inventory:
    """Subclass this to yield hosts (an `inventory:` program in infra.yaml)."""

    def hosts(self) -> list:
        """Every host as `{"name", "connect", "groups": [...], "data": {...}}` (and `sudo`,
        `sudo_user` as infra.yaml's hosts take them)."""
        raise ConnectorError(f"{type(self).__name__} does not implement hosts")


class Transport:
    """Subclass this to reach hosts another way (a `transports:` program in infra.yaml, for
    hosts whose `connect:` is `<name>://<address>`). One process serves one host."""

    def connect(self, host: str, address: str, data: dict) -> None:
        """Gets ready to reach the host at `address` (what follows `<name>://`)."""

    def run(self, command: str, input: Optional[bytes], timeout: Optional[int]) -> RunResult:
        """Runs a shell command on the host, feeding it `input`."""
        raise ConnectorError(f"{type(self).__name__} does not implement run")

    def put(self, path: str, content: bytes, mode: Optional[str], owner: Optional[str],
            group: Optional[str]) -> None:
        """Writes a file on the host, atomically, with an octal `mode` such as "0644"."""
        raise ConnectorError(f"{type(self).__name__} does not implement put")

    def get(self, path: str) -> bytes:
        """Reads a file of the host."""
        raise ConnectorError(f"{type(self).__name__} does not implement get")

    def disconnect(self) -> None:
        """Lets go of the host."""


class _Wire:
    """JSON-RPC 2.0 over standard input and output, one message per line."""

    def __init__(self) -> None:
        self._next = 0
        self._queued: list = []

    def send(self, message: dict) -> None:
        message = {"jsonrpc": "2.0", **message}
        sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def receive(self) -> Optional[dict]:
        if self._queued:
            return self._queued.pop(0)
        line = sys.stdin.readline()
        return json.loads(line) if line else None

    def call(self, method: str, params: dict) -> Any:
        """Calls infra back and waits for its answer; requests meanwhile wait their turn."""
        self._next += 1
        ident = f"c{self._next}"
        self.send({"id": ident, "method": method, "params": params})
        while True:
            line = sys.stdin.readline()
            if not line:
                raise ConnectorError(f"infra went away during {method}")
            message = json.loads(line)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise ConnectorError(message["error"].get("message", "failed"))
                return message.get("result")
            self._queued.append(message)


def main(connector: Optional[Connector] = None, inventory: Optional[Inventory] = None,
         transport: Optional[Transport] = None) -> None:
    """Serves a connector, an inventory, a transport or any mix until infra says shutdown or
    closes standard input."""
    wire = _Wire()
    hosts: dict = {}
    while True:
        message = wire.receive()
        if message is None:
            return
        method, ident, params = message.get("method"), message.get("id"), message.get("params") or {}
        try:
            if method == "shutdown":
                wire.send({"id": ident, "result": {}})
                return
            if method == "initialize":
                result = _initialize(connector, inventory, transport, params, hosts, wire)
            elif method == "inventory/list" and inventory is not None:
                result = {"hosts": inventory.hosts()}
            elif method.startswith("transport/") and transport is not None:
                result = _transport(transport, method, params)
            elif method == "load":
                result = _load(connector, params, hosts)
            elif method == "read":
                host = hosts[params["host"]]
                items = [(_name(item["address"]), item["desired"]) for item in params["resources"]]
                live = connector.read_all(host, items)
                result = {"states": {
                    item["address"]: {"state": live.get(_name(item["address"])),
                                      "fingerprint": connector.fingerprint(live.get(_name(item["address"])))}
                    for item in params["resources"]}}
            elif method == "plan":
                result = _plan(connector, hosts[params["host"]], params["items"])
            elif method == "apply":
                result = _apply(connector, hosts[params["host"]], params["ops"])
            elif method == "list":
                host = hosts[params["host"]]
                result = {"resources": [
                    {"address": f"{connector.name}/{host.name}/{name}", "content": content}
                    for name, content in sorted(connector.list_all(host).items())]}
            else:
                if ident is not None:
                    wire.send({"id": ident, "error": {"code": -32601,
                                                      "message": f"unknown method {method}"}})
                continue
            if ident is not None:
                wire.send({"id": ident, "result": result})
        except ConnectorError as error:
            wire.send({"id": ident, "error": {"code": -32000, "message": str(error),
                                              "data": {"hint": error.hint}}})
        except Exception as error:  # a bug in the connector: say where, keep serving
            traceback.print_exc(file=sys.stderr)
            wire.send({"id": ident, "error": {"code": -32000,
                                              "message": f"{type(error).__name__}: {error}"}})


def _name(address: str) -> str:
    """`crontab/web1/app` → `app`: the resource's name below its host or group folder."""
    return "/".join(address.split("/")[2:])


def _initialize(connector: Optional[Connector], inventory: Optional[Inventory],
                transport: Optional[Transport], params: dict, hosts: dict, wire: _Wire) -> dict:
    if params.get("protocol_version") != PROTOCOL_VERSION:
        raise ConnectorError(f"this connector speaks protocol version {PROTOCOL_VERSION}, "
                             f"not {params.get('protocol_version')}")
    offers = ((["resources"] if connector else []) + (["inventory"] if inventory else [])
              + (["execution"] if transport else []))
    if connector is None:
        return {"protocol_version": PROTOCOL_VERSION, "offers": offers}
    connector.name = params["name"]
    connector.prefix = params["prefix"]
    connector._wire = wire
    connector.settings = {option.name: option.default for option in connector.options}
    connector.settings.update(params.get("options") or {})
    for host in params["hosts"]:
        hosts[host["name"]] = Host(wire, host["name"], host["groups"], host["data"])
    return {"protocol_version": PROTOCOL_VERSION, "offers": offers,
            "summary": connector.summary, "layout": connector.layout,
            "options": [_declare(o) for o in connector.options],
            "host_data": [_declare(o) for o in connector.host_data]}


def _declare(option: Option) -> dict:
    return {"name": option.name, "type": option.type, "default": option.default,
            "description": option.description}


def _load(connector: Connector, params: dict, hosts: dict) -> dict:
    resources, diagnostics, taken = [], [], set()
    for removed, files in ((False, params["files"]), (True, params["removed"])):
        # A host's own file before its groups' files: the first to claim a host's name wins.
        for file in sorted(files, key=lambda f: f["address"].split("/")[1].startswith("@")):
            segments = file["address"].split("/")
            if len(segments) < 3:
                diagnostics.append({"severity": "warning", "file": file["path"],
                                    "message": f"{file['path']} is not inside a host or @group folder",
                                    "hint": f"put it under {segments[0]}/<host or @group>/"})
                continue
            target, name = segments[1], "/".join(segments[2:])
            if target.startswith("@"):
                served = [h for h in hosts.values() if target[1:] in h.groups]
            elif target in hosts:
                served = [hosts[target]]
            else:
                diagnostics.append({"severity": "error", "file": file["path"],
                                    "message": f"{file['path']} names the unknown host '{target}'",
                                    "hint": "hosts: " + ", ".join(hosts)})
                continue
            desired = None
            if not removed:
                try:
                    desired = connector.parse(name, file["content"])
                except ParseError as error:
                    diagnostics.append({"severity": "error", "file": file["path"],
                                        "line": error.line, "column": error.column,
                                        "message": str(error), "hint": error.hint})
                    continue
            for host in served:
                if (host.name, name) in taken:
                    continue  # a host's own file or a file still present wins over a deletion
                taken.add((host.name, name))
                resources.append({"address": file["address"], "host": host.name,
                                  "sources": [file["path"]], "desired": desired,
                                  "removed": removed})
    return {"resources": resources, "diagnostics": diagnostics}


def _plan(connector: Connector, host: Host, items: list) -> dict:
    ops, problems = [], []
    for item in items:
        try:
            op = connector.plan(host, _name(item["address"]), item["desired"], item["live"]["state"])
        except ConnectorError as error:
            problems.append({"address": item["address"], "message": str(error)})
            continue
        if op is not None:
            ops.append({"address": item["address"], "action": op.action, "message": op.message,
                        "details": op.details, "diff": op.diff, "payload": op.payload})
    return {"ops": ops, "problems": problems}


def _apply(connector: Connector, host: Host, ops: list) -> dict:
    outcomes = []
    for op in ops:
        try:
            connector.apply(host, _name(op["address"]), op["action"], op["payload"])
            outcomes.append({"address": op["address"], "status": "applied"})
        except ConnectorError as error:
            outcomes.append({"address": op["address"], "status": "failed", "error": str(error)})
            break
    return {"outcomes": outcomes}


def _transport(transport: Transport, method: str, params: dict) -> dict:
    if method == "transport/connect":
        transport.connect(params["host"], params["address"], params.get("data") or {})
        return {}
    if method == "transport/run":
        given = params.get("input")
        result = transport.run(params["command"], base64.b64decode(given) if given else None,
                               params.get("timeout"))
        return {"exit_code": result.exit_code,
                "stdout": base64.b64encode(result.stdout).decode("ascii"),
                "stderr": base64.b64encode(result.stderr).decode("ascii")}
    if method == "transport/put":
        transport.put(params["path"], base64.b64decode(params["content"]), params.get("mode"),
                      params.get("owner"), params.get("group"))
        return {}
    if method == "transport/get":
        return {"content": base64.b64encode(transport.get(params["path"])).decode("ascii")}
    if method == "transport/disconnect":
        transport.disconnect()
        return {}
    raise ConnectorError(f"unknown method {method}")
