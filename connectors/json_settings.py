#!/usr/bin/env python3
"""Settings in a JSON file on any host, key by key: the keys a resource names are managed,
every other key of the file is left as it is (what an application or a person wrote there).

Resource files: `resources/<prefix>/json_settings/<host or @group>/<anything>.json` (any
other file there, a README say, is left alone with a warning):

    {
      "file": "/etc/app/config.json",
      "keys": {"server.port": 8080, "features.beta": true, "log.level": "info"}
    }

A dotted key names a nested one (`server.port` is `{"server": {"port": ...}}`). The plan
shows each key that changes; apply reads the file, sets those keys and writes it back
atomically (creating it, with its folders' parents existing, when it is missing). Deleting a
resource file stops managing its keys; it does not remove them from the host.

infra.yaml:

    - name: json_settings
      run: [python3, connectors/json_settings.py]
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any, Optional, Union

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infra_connector import Connector, ConnectorError, Host, Op, ParseError, main  # noqa: E402

MISSING = {"$missing": True}  # how a key absent on the host is shown in live state


class JSONSettings(Connector):
    summary = "Keys of a JSON settings file on any host; other keys are left alone"
    layout = "<host or @group>/<name>.json: {\"file\": PATH, \"keys\": {DOTTED.KEY: VALUE}}"
    concurrency = 8  # keeps no state: hosts are read and planned at once

    def filter(self, name: str) -> Union[bool, str]:
        return name.endswith(".json") or "only <name>.json files declare settings"

    def parse(self, name: str, content: str) -> Any:
        try:
            document = json.loads(content)
        except json.JSONDecodeError as error:
            raise ParseError(f"it is not JSON: {error.msg}", line=error.lineno, column=error.colno)
        if not isinstance(document, dict) or not isinstance(document.get("file"), str) \
                or not document["file"].startswith("/") or not isinstance(document.get("keys"), dict):
            raise ParseError("it must be {\"file\": \"/absolute/path\", \"keys\": {...}}", line=1,
                             column=1)
        return {"file": document["file"], "keys": document["keys"]}

    # A host's files are read in one round trip (`read_command`, through the SDK's
    # `read_all`); `apply_all` reads the files it changes in one more and writes them all in
    # a third (`host.put_many`), whatever the number of resources.
    def read_command(self, host: Host, name: str, desired: Any) -> str:
        return f"cat -- {shlex.quote(desired['file'])}"

    def read_result(self, host: Host, name: str, desired: Any, result: Any) -> Optional[dict]:
        current = self._parse(host, desired["file"], result)
        if current is None:
            return None
        return {key: _get(current, key) for key in sorted(desired["keys"])}

    def plan(self, host: Host, name: str, desired: Any, live: Any) -> Optional[Op]:
        if desired is None:
            return None  # no longer managed: the keys stay as they are
        wanted = desired["keys"]
        have = live or {}
        changed = [key for key in sorted(wanted) if have.get(key, MISSING) != wanted[key]]
        if live is not None and not changed:
            return None
        old = "".join(f"{key} = {json.dumps(have[key])}\n" for key in changed
                      if have.get(key, MISSING) != MISSING)
        new = "".join(f"{key} = {json.dumps(wanted[key])}\n" for key in changed)
        action = "create" if live is None else "update"
        what = ", ".join(changed)
        return Op(action, f"{'create ' + desired['file'] + ' with' if live is None else 'set'} {what}",
                  payload=desired,
                  diff=self.unified_diff(old, new, f"{host.name}:{desired['file']}",
                                         desired["file"]))

    def apply_all(self, host: Host, ops: list) -> list:
        files = sorted({payload["file"] for _, _, payload in ops})
        results = host.run_many([f"cat -- {shlex.quote(path)}" for path in files])
        documents = {}
        for path, result in zip(files, results):
            try:
                documents[path] = self._parse(host, path, result) or {}
            except ConnectorError as error:
                documents[path] = error
        # One write per op, of its file as it is once the ops before it were applied, all in
        # one round trip: the first that fails stops the rest, as an apply must.
        writes = []
        for name, action, payload in ops:
            document = documents[payload["file"]]
            if isinstance(document, ConnectorError):
                break
            for key, value in payload["keys"].items():
                _set(document, key, value)
            writes.append({"path": payload["file"], "mode": "0644",
                           "content": (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()})
        try:
            host.put_many(writes)
            written = len(writes)
        except ConnectorError as error:
            written = getattr(error, "written", 0)
            errors = [None] * written + [f"cannot write {writes[written]['path']} on {host.name}: {error}"]
        else:
            errors = [None] * written
        for name, action, payload in ops[:written]:
            self.log(f"wrote {len(payload['keys'])} keys to {payload['file']} on {host.name}")
        if written == len(writes) < len(ops):  # stopped at a file that could not be read
            errors.append(str(documents[ops[written][2]["file"]]))
        return errors

    def _parse(self, host: Host, path: str, result: Any) -> Optional[dict]:
        if result.exit_code != 0:
            if b"No such file" in result.stderr:
                return None
            result.check(f"reading {path}")
        try:
            document = json.loads(result.text or "{}")
        except json.JSONDecodeError as error:
            raise ConnectorError(f"{path} on {host.name} is not JSON: {error.msg} (line {error.lineno})")
        if not isinstance(document, dict):
            raise ConnectorError(f"{path} on {host.name} is not a JSON object")
        return document


def _get(document: dict, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(document, dict) or part not in document:
            return MISSING
        document = document[part]
    return document


def _set(document: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        if not isinstance(document.get(part), dict):
            document[part] = {}
        document = document[part]
    document[parts[-1]] = value


if __name__ == "__main__":
    main(JSONSettings())
