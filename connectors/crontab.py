#!/usr/bin/env python3
"""The crontab of a user on any host of the inventory, entry for entry.

Resource files: `resources/<prefix>/crontab/<host or @group>/<user>`, holding the user's
whole crontab exactly as `crontab -l` prints it (comments and environment lines included;
notes and editor files, `*.md`, `*.txt`, `*~`, are left alone):

    # resources/prod/crontab/@web/app
    MAILTO=""
    */5 * * * * /srv/app/bin/sweep

A user whose file is deleted in git has their crontab removed (`crontab -r`). Reading and
writing go through the host's `crontab` command, as the connecting user for their own
crontab, or with `-u USER` (which needs root, e.g. `sudo: true` on the connector).

infra.yaml:

    - name: crontab
      run: [python3, connectors/crontab.py]
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any, Optional, Union

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infra_connector import Connector, ConnectorError, Host, Op, Option, ParseError, main  # noqa: E402

FIELDS = re.compile(r"^(@\w+|(\S+\s+){4}\S+)\s+\S")
ENVIRONMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")


class Crontab(Connector):
    summary = "A user's crontab on any host, exactly as `crontab -l` prints it"
    layout = "<host or @group>/<user>: the whole crontab of that user"
    options = [Option("command", "string", "crontab", "the crontab program on the hosts")]
    host_data = [Option("crontab_command", "string", None,
                        "this host's crontab program, instead of the `command` option")]
    concurrency = 8  # hosts are read and planned at once; `login` is kept per host

    def filter(self, name: str) -> Union[bool, str]:
        if name.endswith((".md", ".txt", "~", ".swp", ".bak")):
            return "a note or an editor's file, not a user's crontab"
        return True

    def __init__(self) -> None:
        super().__init__()
        self.login: dict = {}

    def parse(self, name: str, content: str) -> Any:
        if "/" in name or not re.fullmatch(r"[a-z_][a-z0-9_.-]*\$?", name):
            raise ParseError(f"'{name}' is not a user name", hint="name the file after the user")
        for number, line in enumerate(content.splitlines(), start=1):
            text = line.strip()
            if not text or text.startswith("#") or ENVIRONMENT.match(text):
                continue
            if not FIELDS.match(text):
                raise ParseError(f"line {number} is neither an entry, a comment nor a variable: {text}",
                                 line=number, column=1,
                                 hint="an entry is five time fields (or @daily...) and a command")
        return content if content.endswith("\n") or not content else content + "\n"

    def _command(self, host: Host, user: str) -> str:
        program = host.data.get("crontab_command") or self.settings["command"]
        return program + self._user_flag(host, user)

    def _user_flag(self, host: Host, user: str) -> str:
        if host.name not in self.login:
            self.login[host.name] = host.run("id -un").check("id -un").text.strip()
        return "" if self.login[host.name] == user else f" -u {shlex.quote(user)}"

    # Every user's crontab of a host is read in one round trip (`read_command`, through the
    # SDK's `read_all`), and every change applied in another (`apply_command`).
    def read_command(self, host: Host, name: str, desired: Any) -> str:
        return f"{self._command(host, name)} -l"

    def read_result(self, host: Host, name: str, desired: Any, result: Any) -> Optional[str]:
        if result.exit_code != 0:
            if b"no crontab for" in result.stderr:
                return None
            result.check(self.read_command(host, name, desired))
        return result.text

    def read(self, host: Host, name: str, desired: Any) -> Optional[str]:
        return self.read_result(host, name, desired,
                                host.run(self.read_command(host, name, desired)))

    def list_all(self, host: Host) -> dict:
        login = self.login.get(host.name) or host.run("id -un").check("id -un").text.strip()
        self.login[host.name] = login
        users = [login]
        if login == "root":  # root may read everyone's crontab
            listing = host.run("ls /var/spool/cron/crontabs 2>/dev/null")
            users += [user for user in listing.text.split() if user != "root"]
        live = self.read_all(host, [(user, None) for user in users])
        return {user: content for user, content in live.items() if content is not None}

    def plan(self, host: Host, name: str, desired: Any, live: Any) -> Optional[Op]:
        if desired is None:
            if live is None:
                return None
            return Op("delete", f"remove the crontab of {name}", payload=None,
                      diff=self.unified_diff(live, "", f"{host.name}:crontab {name}", "/dev/null"))
        if desired == live:
            return None
        entries = sum(1 for line in desired.splitlines() if FIELDS.match(line.strip())
                      and not line.strip().startswith("#"))
        what = "1 entry" if entries == 1 else f"{entries} entries"
        action = "create" if live is None else "update"
        return Op(action, f"{action} the crontab of {name}: {what}", payload=desired,
                  diff=self.unified_diff(live or "", desired,
                                         "/dev/null" if live is None else f"{host.name}:crontab {name}",
                                         f"crontab {name}"))

    def render(self, host: Host, name: str, desired: Any, live: Any) -> Optional[str]:
        return live  # the file is the crontab as `crontab -l` prints it

    def apply_command(self, host: Host, name: str, action: str, payload: Any) -> Any:
        command = self._command(host, name)
        if action == "delete":
            return f"{command} -r"
        return (f"{command} -", payload.encode())


if __name__ == "__main__":
    main(Crontab())
