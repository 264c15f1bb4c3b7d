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

Calls are served on worker threads, as many at once as the class's `concurrency` says
(default 1, one call at a time): raise it when the class keeps no state that two hosts'
calls could both change, and a plan of many hosts reads them all at once.

Secrets (connectors/PROTOCOL.md, "Sensitive values"): a connector says which resources are
sensitive (`sensitive`, `is_sensitive`) and which fields of a desired state hold secrets
(`sensitive_fields`, `sensitive_fields_of`); an op may say so too (`Op(..., sensitive=True)`).
infra then masks those values in everything it prints or writes, and keeps a sensitive op's
payload out of every file. `register_secret` adds any other value to mask. A resource file
ending in `.age` reaches `parse` decrypted (infra holds the keys) and what it declares is
sensitive; the SDK hands `filter`, `parse`, `read`, `plan` and `apply` its name without the
`.age`. `list_all` names resources the same way: `Listed(content, sensitive=True)` has infra
write `<name>.age`, encrypted. `render` turns a live state back into a file's content for
`infra pull`.

Packaged (connectors/PROTOCOL.md, "Connector packages"): `pip install` this SDK (its
pyproject.toml is beside it) and a package that declares its class as an entry point of the
group `infra.connectors`; `package: NAME` in infra.yaml then runs `python -m infra_connector
NAME`, which serves that class.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

PROTOCOL_VERSION = 1
# The entry point group connector packages declare their connectors in (`package: NAME`).
ENTRY_POINTS = "infra.connectors"


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
    payload: Any = None  # what apply needs; kept in saved plans (unless sensitive)
    diff: Optional[str] = None
    details: list = field(default_factory=list)
    # True: the op touches a secret. infra drops its diff, masks its message and details and
    # keeps its payload out of every file (a saved plan plans it again before applying it), so
    # keep secrets out of `message` and `details`: "password changed (sensitive)".
    sensitive: bool = False


@dataclass
class Listed:
    """What `list_all` may give instead of a file's content: `sensitive=True` has infra write
    the file encrypted (`<name>.age`, to infra.yaml's `secrets.recipients`), never in clear."""

    content: str
    sensitive: bool = False


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

    def run_many(self, commands: list, stop_on_failure: bool = False,
                 timeout: Optional[int] = None) -> list:
        """Runs many shell commands in order, in one round trip: `commands` are command
        strings or `(command, input bytes)` pairs; one RunResult each, in order. With
        `stop_on_failure`, the first that exits non-zero is the last one run (and listed)."""
        wire_commands = []
        for item in commands:
            command, input = (item, None) if isinstance(item, str) else item
            entry: dict = {"command": command}
            if input is not None:
                entry["input"] = base64.b64encode(input).decode("ascii")
            wire_commands.append(entry)
        if not wire_commands:
            return []
        params: dict = {"host": self.name, "commands": wire_commands,
                        "stop_on_failure": stop_on_failure}
        if timeout is not None:
            params["timeout"] = timeout
        answer = self._wire.call("host/run_many", params)
        return [RunResult(result["exit_code"], base64.b64decode(result["stdout"]),
                          base64.b64decode(result["stderr"])) for result in answer["results"]]

    def put(self, path: str, content: bytes, mode: Optional[str] = None,
            owner: Optional[str] = None, group: Optional[str] = None) -> None:
        """Writes a file on the host atomically, with an octal `mode` such as "0644"."""
        params = {"host": self.name, "path": path,
                  "content": base64.b64encode(content).decode("ascii")}
        for key, value in (("mode", mode), ("owner", owner), ("group", group)):
            if value is not None:
                params[key] = value
        self._wire.call("host/put", params)

    def put_many(self, files: list) -> None:
        """Writes many files in one round trip, in order, each atomically and durably: `files`
        are dicts with `path`, `content` (bytes) and optionally `mode` ("0644"), `owner`,
        `group`. Raises ConnectorError for the first that cannot be written (the ones before it
        are written), with `written` telling how many were."""
        wire_files = []
        for file in files:
            entry = {"path": file["path"],
                     "content": base64.b64encode(file["content"]).decode("ascii")}
            for key in ("mode", "owner", "group"):
                if file.get(key) is not None:
                    entry[key] = file[key]
            wire_files.append(entry)
        if not wire_files:
            return
        answer = self._wire.call("host/put_many", {"host": self.name, "files": wire_files})
        if answer.get("error"):
            error = ConnectorError(answer["error"])
            error.written = answer.get("written", 0)  # type: ignore[attr-defined]
            raise error

    def get(self, path: str) -> bytes:
        """Reads a file of the host."""
        return base64.b64decode(self._wire.call("host/get", {"host": self.name, "path": path})["content"])


class Connector:
    """Subclass this; override `parse`, `read`, `plan` and `apply` (and `filter`, `list_all`)."""

    summary: str = "an external connector"
    layout: str = "<host or @group>/<name>"
    options: list = []
    host_data: list = []  # Options describing the `data:` keys of hosts it reads
    concurrency: int = 1  # calls served at once (each on one host); 1 keeps them in turn
    sensitive: bool = False  # every resource of this connector is sensitive
    sensitive_fields: list = []  # dotted paths into a parsed desired state that hold secrets

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
            host = getattr(_current, "host", None)
            if host is not None:
                params["host"] = host  # the host of the call this thread serves
            self._wire.send({"method": "log", "params": params})

    def register_secret(self, *values: str) -> None:
        """Has infra mask each value (and its base64, hex and SHA-256 hex forms) as `***` in
        everything it prints or writes from now on: a safety net, not a reason to log secrets.
        Call it from any method (`parse`, `read`, ...); before `initialize` the values wait
        for it. A number is taken as its text; infra ignores values shorter than 4 characters."""
        texts = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise TypeError(f"register_secret takes text, not {type(value).__name__}")
            if str(value):
                texts.append(str(value))
        if not texts:
            return
        if self._wire is None:
            self.__dict__.setdefault("_waiting_secrets", []).extend(texts)
        else:
            self._wire.send({"method": "secret", "params": {"values": texts}})

    def is_sensitive(self, name: str, desired: Any) -> bool:
        """Whether a resource's whole desired state, and everything planned for it, is
        sensitive (`desired` is None for what a deleted file declared). What an `.age` file
        declares is sensitive whatever this says."""
        return self.sensitive

    def sensitive_fields_of(self, name: str, desired: Any) -> list:
        """The dotted paths into `desired` (`["password", "tls.key"]`) whose values are
        secrets: infra masks every string (or number) found there. Paths that are not there
        are ignored."""
        return self.sensitive_fields

    def filter(self, name: str) -> Union[bool, str]:
        """Whether a file named `name` (below its host or @group folder) is a resource file
        of this connector: True, or False or a one-line reason for a file it leaves alone (a
        README, an editor's backup). infra warns about such files and never manages them."""
        return True

    def parse(self, name: str, content: str) -> Any:
        """The desired state a resource file declares; raise ParseError for a bad file, with
        its line and column."""
        return content

    def read(self, host: Host, name: str, desired: Any) -> Any:
        """The live state of one resource, or None when it does not exist."""
        raise ConnectorError(f"{type(self).__name__} does not implement read")

    def read_all(self, host: Host, items: list) -> dict:
        """The live state of many resources of a host. When the connector says how to read one
        with a command (`read_command` and `read_result`), every command goes in one round trip
        (`host.run_many`); otherwise `read` is called for each."""
        if type(self).read_command is Connector.read_command:
            return {name: self.read(host, name, desired) for name, desired in items}
        commands = [self.read_command(host, name, desired) for name, desired in items]
        results = host.run_many(commands)
        return {name: self.read_result(host, name, desired, result)
                for (name, desired), result in zip(items, results)}

    def read_command(self, host: Host, name: str, desired: Any) -> Any:
        """The shell command (or `(command, input bytes)`) that reads one resource: with
        `read_result`, what lets the default `read_all` read a host's resources in one round
        trip."""
        raise NotImplementedError

    def read_result(self, host: Host, name: str, desired: Any, result: "RunResult") -> Any:
        """The live state `read_command`'s result shows, or None when it does not exist."""
        raise ConnectorError(f"{type(self).__name__} does not implement read_result")

    def apply_all(self, host: Host, ops: list) -> list:
        """Executes a host's ops in order, stopping at the first failure: `ops` are `(name,
        action, payload)`; returns one error (None when it was applied) per op attempted. When
        the connector says how to apply one with a command (`apply_command`), every command
        goes in one round trip (`host.run_many`, stopping at the first that fails); otherwise
        `apply` is called for each."""
        if type(self).apply_command is Connector.apply_command:
            errors: list = []
            for name, action, payload in ops:
                try:
                    self.apply(host, name, action, payload)
                    errors.append(None)
                except ConnectorError as error:
                    errors.append(str(error))
                    break
            return errors
        commands = [self.apply_command(host, name, action, payload) for name, action, payload in ops]
        results = host.run_many(commands, stop_on_failure=True)
        errors = []
        for (command, result) in zip(commands, results):
            if result.exit_code == 0:
                errors.append(None)
            else:
                shown = command if isinstance(command, str) else command[0]
                detail = result.stderr.decode(errors="replace").strip()
                errors.append(f"{shown} failed with exit code {result.exit_code}"
                              + (f": {detail}" if detail else ""))
        return errors

    def apply_command(self, host: Host, name: str, action: str, payload: Any) -> Any:
        """The shell command (or `(command, input bytes)`) that applies one op: what lets the
        default `apply_all` apply a host's ops in one round trip."""
        raise NotImplementedError

    def plan(self, host: Host, name: str, desired: Any, live: Any) -> Optional[Op]:
        """The op that makes `live` match `desired` (None: delete), or None when they match."""
        raise ConnectorError(f"{type(self).__name__} does not implement plan")

    def apply(self, host: Host, name: str, action: str, payload: Any) -> None:
        """Executes one op planned by `plan`; raise ConnectorError when it fails."""
        raise ConnectorError(f"{type(self).__name__} does not implement apply")

    def render(self, host: Host, name: str, desired: Any, live: Any) -> Optional[str]:
        """The content of the resource file that would declare `live`, for `infra pull` (which
        writes it where the file is, when it differs); None when the resource is gone from the
        host, to have its file removed. Raise ConnectorError for one that cannot be written back."""
        raise ConnectorError(f"{type(self).__name__} cannot write live state back")

    def list_all(self, host: Host) -> dict:
        """What the host has, as `{resource name: file content}`, for `infra import`; a
        content may be `Listed(content, sensitive=True)` to have infra write it encrypted."""
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

    def host(self, name: str) -> Optional[dict]:
        """The host called `name`, or None: what `infra run NAME` and `infra hosts NAME`
        ask for. Override it when one host is quicker to look up than all of them."""
        return next((host for host in self.hosts() if host.get("name") == name), None)


class Transport:
    """Subclass this to reach hosts another way (a `transports:` program in infra.yaml, for
    hosts whose `connect:` is `<name>://<address>`). One process serves every such host:
    `main` makes one instance of the class per host, when the host connects."""

    concurrency: int = 8  # calls served at once, across hosts (instances share no state)
    _wire: Optional["_Wire"] = None
    _host: Optional[str] = None

    def log(self, message: str, level: str = "info") -> None:
        """Tells infra something about this host worth keeping in the run's events
        (`connector_log`, with this transport's name); `level` is debug, info, warning or
        error."""
        if self._wire is not None:
            self._wire.send({"method": "log", "params": {"level": level, "message": message,
                                                         "host": self._host}})

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


_current = threading.local()  # the host of the call a worker thread serves


class _Wire:
    """JSON-RPC 2.0 over standard input and output, one message per line. The main thread
    reads; worker threads serve infra's calls and may call infra back meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: dict = {}  # id → [threading.Event, answer]
        self._closed = False

    def send(self, message: dict) -> None:
        line = json.dumps({"jsonrpc": "2.0", **message}, separators=(",", ":")) + "\n"
        with self._lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    def call(self, method: str, params: dict) -> Any:
        """Calls infra back and waits for its answer."""
        slot: list = [threading.Event(), None]
        with self._lock:
            if self._closed:
                raise ConnectorError(f"infra went away before {method}")
            self._next += 1
            ident = f"c{self._next}"
            self._waiting[ident] = slot
        self.send({"id": ident, "method": method, "params": params})
        slot[0].wait()
        answer = slot[1]
        if answer is None:
            raise ConnectorError(f"infra went away during {method}")
        if "error" in answer:
            raise ConnectorError(answer["error"].get("message", "failed"))
        return answer.get("result")

    def answered(self, message: dict) -> None:
        """Hands infra's answer to the thread waiting for it."""
        with self._lock:
            slot = self._waiting.pop(message.get("id"), None)
        if slot is not None:
            slot[1] = message
            slot[0].set()

    def close(self) -> None:
        """Standard input ended: nothing waiting will be answered."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = list(self._waiting.values()), {}
        for slot in waiting:
            slot[0].set()


def main(connector: Optional[Connector] = None, inventory: Optional[Inventory] = None,
         transport: Optional[Callable[[], Transport]] = None) -> None:
    """Serves a connector, an inventory, a transport or any mix until infra says shutdown or
    closes standard input. `transport` is the Transport class (or any function that makes
    one): each host that connects gets an instance of its own."""
    if isinstance(transport, Transport):
        raise TypeError("pass the Transport class to main (main(transport=MyTransport)), "
                        "not an instance: each host gets an instance of its own")
    wire = _Wire()
    server = _Server(wire, connector, inventory, transport)
    workers: Optional[ThreadPoolExecutor] = None
    finishing: Optional[threading.Thread] = None
    try:
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            if not line.strip():
                continue
            message = json.loads(line)
            method = message.get("method")
            if method is None:
                wire.answered(message)
            elif method == "initialize":  # before anything else, and it never calls back
                server.serve(message)
                server.send_waiting_secrets()  # those registered before initialize, after it
                workers = ThreadPoolExecutor(max_workers=server.concurrency,
                                             thread_name_prefix="call")
            elif method == "shutdown":
                # Calls still in flight finish first (they may need answers this loop reads).
                finishing = threading.Thread(target=_finish, args=(wire, message.get("id"), workers))
                finishing.start()
                workers = None
            elif workers is None:
                server.serve(message)  # before initialize or after shutdown: answered here
            else:
                workers.submit(server.serve, message)
    finally:
        wire.close()
        if workers is not None:
            workers.shutdown(wait=True)
        if finishing is not None:
            finishing.join()


def _finish(wire: _Wire, ident: Any, workers: Optional[ThreadPoolExecutor]) -> None:
    if workers is not None:
        workers.shutdown(wait=True)
    wire.send({"id": ident, "result": {}})


class _Server:
    """Answers infra's calls; `serve` runs on a worker thread (or, for `initialize`, the main
    one) and sends the answer itself."""

    def __init__(self, wire: _Wire, connector: Optional[Connector],
                 inventory: Optional[Inventory], transport: Optional[Callable[[], Transport]]):
        self.wire = wire
        self.connector = connector
        self.inventory = inventory
        self.transport = transport
        self.concurrency = 1
        self.hosts: dict = {}  # name → Host, for a connector
        self.connected: dict = {}  # name → Transport instance, for a transport
        self.parsed: dict = {}  # (address, content) → desired state, from validate to load
        self.lock = threading.Lock()

    def serve(self, message: dict) -> None:
        method, ident = message.get("method"), message.get("id")
        params = message.get("params") or {}
        _current.host = params.get("host") if isinstance(params, dict) else None
        try:
            result = self.dispatch(method, params)
            if ident is not None:
                self.wire.send({"id": ident, "result": result})
        except _UnknownMethod:
            if ident is not None:
                self.wire.send({"id": ident, "error": {"code": -32601,
                                                       "message": f"unknown method {method}"}})
        except ConnectorError as error:
            if ident is not None:
                self.wire.send({"id": ident, "error": {"code": -32000, "message": str(error),
                                                       "data": {"hint": error.hint}}})
        except Exception as error:  # a bug in the connector: say where, keep serving
            traceback.print_exc(file=sys.stderr)
            if ident is not None:
                self.wire.send({"id": ident, "error": {
                    "code": -32000, "message": f"{type(error).__name__}: {error}"}})
        finally:
            _current.host = None

    def dispatch(self, method: str, params: dict) -> Any:
        connector = self.connector
        if method == "initialize":
            return self.initialize(params)
        if method == "inventory/list" and self.inventory is not None:
            return self.list_hosts(params.get("names"))
        if method.startswith("transport/") and self.transport is not None:
            return self.execute(method, params)
        if connector is None or method.startswith(("inventory/", "transport/")):
            raise _UnknownMethod()
        if method == "filter":
            return _filter(connector, params["addresses"])
        if method == "validate":
            return {"diagnostics": [problem for file in params["files"]
                                    for problem in self.check(file)[2]]}
        if method == "load":
            return self.load(params)
        if method == "read":
            host = self.hosts[params["host"]]
            items = [(_name(item["address"]), item["desired"]) for item in params["resources"]]
            live = connector.read_all(host, items)
            return {"states": {
                item["address"]: {"state": live.get(_name(item["address"])),
                                  "fingerprint": connector.fingerprint(live.get(_name(item["address"])))}
                for item in params["resources"]}}
        if method == "plan":
            return _plan(connector, self.hosts[params["host"]], params["items"])
        if method == "apply":
            return _apply(connector, self.hosts[params["host"]], params["ops"])
        if method == "pull":
            return _pull(connector, self.hosts[params["host"]], params["items"])
        if method == "list":
            host = self.hosts[params["host"]]
            return {"resources": [_listed(f"{connector.name}/{host.name}/{name}", content)
                                  for name, content in sorted(connector.list_all(host).items())]}
        raise _UnknownMethod()

    def initialize(self, params: dict) -> dict:
        if params.get("protocol_version") != PROTOCOL_VERSION:
            raise ConnectorError(f"this connector speaks protocol version {PROTOCOL_VERSION}, "
                                 f"not {params.get('protocol_version')}")
        connector = self.connector
        offers = ((["resources"] if connector else []) + (["inventory"] if self.inventory else [])
                  + (["execution"] if self.transport else []))
        limits = ([connector.concurrency] if connector else []) + (
            [getattr(self.transport, "concurrency", 1)] if self.transport else [])
        self.concurrency = max(1, min(limits, default=1))
        answer = {"protocol_version": PROTOCOL_VERSION, "offers": offers,
                  "concurrency": self.concurrency}
        if connector is None:
            return answer
        connector.name = params["name"]
        connector.prefix = params["prefix"]
        connector._wire = self.wire
        connector.settings = {option.name: option.default for option in connector.options}
        connector.settings.update(params.get("options") or {})
        for host in params["hosts"]:
            self.hosts[host["name"]] = Host(self.wire, host["name"], host["groups"], host["data"])
        return {**answer, "summary": connector.summary, "layout": connector.layout,
                "options": [_declare(o) for o in connector.options],
                "host_data": [_declare(o) for o in connector.host_data]}

    def send_waiting_secrets(self) -> None:
        connector = self.connector
        if connector is not None and connector._wire is not None:
            waiting = connector.__dict__.pop("_waiting_secrets", [])
            if waiting:
                connector.register_secret(*waiting)

    def list_hosts(self, names: Optional[list]) -> dict:
        inventory = self.inventory
        if names is None:
            return {"hosts": inventory.hosts()}
        found = (inventory.host(name) for name in names)
        return {"hosts": [host for host in found if host is not None]}

    def check(self, file: dict) -> tuple:
        """The hosts a file applies to and what it declares, or the problems that stop it:
        `(hosts, desired, diagnostics)`."""
        segments = file["address"].split("/")
        if len(segments) < 3:
            return [], None, [{"severity": "error", "file": file["path"],
                               "message": f"{file['path']} is not inside a host or @group folder",
                               "hint": f"put it under {segments[0]}/<host or @group>/"}]
        target, name = segments[1], _name(file["address"])
        if target.startswith("@"):
            served = [h for h in self.hosts.values() if target[1:] in h.groups]
        elif target in self.hosts:
            served = [self.hosts[target]]
        else:
            return [], None, [{"severity": "error", "file": file["path"],
                               "message": f"{file['path']} names the unknown host '{target}'",
                               "hint": "hosts: " + ", ".join(self.hosts)}]
        if "content" not in file:  # a deleted file: only the hosts matter
            return served, None, []
        key = (file["address"], file["content"])
        with self.lock:
            if key in self.parsed:
                return served, self.parsed[key], []
        try:
            desired = self.connector.parse(name, file["content"])
        except ParseError as error:
            return [], None, [{"severity": "error", "file": file["path"], "line": error.line,
                               "column": error.column, "message": str(error), "hint": error.hint}]
        with self.lock:
            self.parsed[key] = desired
        return served, desired, []

    def load(self, params: dict) -> dict:
        resources, diagnostics, taken = [], [], set()
        for removed, files in ((False, params["files"]), (True, params["removed"])):
            # A host's own file before its groups' files: the first to claim a host's name wins.
            for file in sorted(files, key=lambda f: _target(f["address"]).startswith("@")):
                served, desired, problems = self.check(
                    {key: value for key, value in file.items() if not removed or key != "content"})
                diagnostics += problems
                name = _name(file["address"])
                secret = self.secrecy(file, name, desired, removed) if served else {}
                for host in served:
                    if (host.name, name) in taken:
                        continue  # a host's own file or a file still present wins over a deletion
                    taken.add((host.name, name))
                    resources.append({"address": file["address"], "host": host.name,
                                      "sources": [file["path"]], "desired": desired,
                                      "removed": removed, **secret})
        with self.lock:
            self.parsed.clear()
        return {"resources": resources, "diagnostics": diagnostics}

    def secrecy(self, file: dict, name: str, desired: Any, removed: bool) -> dict:
        """`sensitive` and `sensitive_fields` of a file's resources, when they have any."""
        connector, secret = self.connector, {}
        if file.get("sensitive") is True or connector.is_sensitive(name, desired):
            secret["sensitive"] = True
        fields = [] if removed else list(connector.sensitive_fields_of(name, desired) or [])
        if fields:
            secret["sensitive_fields"] = fields
        return secret

    def execute(self, method: str, params: dict) -> dict:
        name = params["host"]
        if method == "transport/connect":
            instance = self.transport()
            instance._wire, instance._host = self.wire, name
            instance.connect(name, params["address"], params.get("data") or {})
            with self.lock:
                self.connected[name] = instance
            return {}
        with self.lock:
            instance = self.connected.get(name)
        if instance is None:
            raise ConnectorError(f"host {name} is not connected")
        if method == "transport/run":
            given = params.get("input")
            result = instance.run(params["command"], base64.b64decode(given) if given else None,
                                  params.get("timeout"))
            return {"exit_code": result.exit_code,
                    "stdout": base64.b64encode(result.stdout).decode("ascii"),
                    "stderr": base64.b64encode(result.stderr).decode("ascii")}
        if method == "transport/put":
            instance.put(params["path"], base64.b64decode(params["content"]), params.get("mode"),
                         params.get("owner"), params.get("group"))
            return {}
        if method == "transport/get":
            return {"content": base64.b64encode(instance.get(params["path"])).decode("ascii")}
        if method == "transport/disconnect":
            with self.lock:
                self.connected.pop(name, None)
            instance.disconnect()
            return {}
        raise _UnknownMethod()


class _UnknownMethod(Exception):
    """infra called a method this program does not serve."""


def _target(address: str) -> str:
    """`crontab/@web/app` → `@web`: the host or group folder of a resource file."""
    return (address.split("/") + [""])[1]


def _name(address: str) -> str:
    """`crontab/web1/app` → `app`: the resource's name below its host or group folder, without
    the `.age` of an encrypted file (`crontab/web1/app.age` → `app`)."""
    name = "/".join(address.split("/")[2:])
    plain = name[:-len(".age")]
    return plain if name.endswith(".age") and plain and not plain.endswith("/") else name


def _listed(address: str, content: Any) -> dict:
    if isinstance(content, Listed):
        return {"address": address, "content": content.content,
                **({"sensitive": True} if content.sensitive else {})}
    return {"address": address, "content": content}


def _filter(connector: Connector, addresses: list) -> dict:
    owned, reasons = [], {}
    for address in addresses:
        segments = address.split("/")
        if len(segments) < 3:
            reasons[address] = "it is not inside a host or @group folder"
            continue
        verdict = connector.filter(_name(address))
        if verdict is True:
            owned.append(address)
        else:
            reasons[address] = verdict if isinstance(verdict, str) else \
                f"connector {connector.name} leaves it alone (its filter)"
    return {"owned": owned, "reasons": reasons}


def _declare(option: Option) -> dict:
    return {"name": option.name, "type": option.type, "default": option.default,
            "description": option.description}


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
                        "details": op.details, "diff": op.diff, "payload": op.payload,
                        **({"sensitive": True} if op.sensitive else {})})
    return {"ops": ops, "problems": problems}


def _pull(connector: Connector, host: Host, items: list) -> dict:
    files, problems = [], []
    for item in items:
        try:
            content = connector.render(host, _name(item["address"]), item["desired"],
                                       item["live"]["state"])
        except ConnectorError as error:
            problems.append({"address": item["address"], "message": str(error)})
            continue
        files.append({"address": item["address"], "content": content})
    return {"files": files, "problems": problems}


def _apply(connector: Connector, host: Host, ops: list) -> dict:
    try:
        errors = connector.apply_all(
            host, [(_name(op["address"]), op["action"], op["payload"]) for op in ops])
    except ConnectorError as error:  # a batch that failed as a whole fails its first op
        errors = [str(error)]
    outcomes = []
    for op, error in zip(ops, errors):
        if error is None:
            outcomes.append({"address": op["address"], "status": "applied"})
        else:
            outcomes.append({"address": op["address"], "status": "failed", "error": error})
            break
    return {"outcomes": outcomes}


def serve_installed(name: str) -> None:
    """Serves the connector (or inventory, or transport) that an installed package offers as
    `name` in its `infra.connectors` entry points: what `package: NAME` in infra.yaml runs,
    as `python -m infra_connector NAME`."""
    from importlib.metadata import entry_points

    offered = list(entry_points(group=ENTRY_POINTS))
    found = [entry for entry in offered if entry.name == name]
    if not found:
        names = ", ".join(sorted(entry.name for entry in offered)) or "none"
        sys.stderr.write(
            f"no installed package offers the connector '{name}' to {sys.executable} "
            f"(entry points '{ENTRY_POINTS}': {names}); install its package into that Python "
            f"(pip install …), or name the Python that has it with `python:`\n")
        sys.exit(2)
    target = found[0].load()
    if isinstance(target, type) and issubclass(target, Transport):
        main(transport=target)
    elif isinstance(target, type) and issubclass(target, Inventory):
        main(inventory=target())
    else:
        main(target() if isinstance(target, type) else target)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m infra_connector NAME (a connector package's entry point)\n")
        sys.exit(64)
    serve_installed(sys.argv[1])
