#!/usr/bin/env python3
"""Hosts that are folders of this machine: a transport program, as pyinfra's executing
connectors (a container's exec, a REST API) reach hosts their own way.

Every command runs through `sh -c` with the host's folder as working directory and `HOST_ROOT`
set to it, as commands run inside a container through its runtime's exec; files are written
and read by this program itself (atomically: a temporary file, then a rename). Every builtin
and external connector works over it unchanged. One process serves every `folder://` host,
several at once; each host has a FolderTransport of its own.

infra.yaml:

    transports:
      folder: { run: [python3, connectors/folder_transport.py] }
    hosts:
      sandbox: { connect: "folder:///srv/sandbox" }   # the folder, after folder://
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infra_connector import ConnectorError, RunResult, Transport, main  # noqa: E402


class FolderTransport(Transport):
    def __init__(self) -> None:
        self.folder = ""

    def connect(self, host: str, address: str, data: dict) -> None:
        if not os.path.isdir(address):
            raise ConnectorError(f"{address} is not a folder", hint=f"create it for host {host}")
        self.folder = address

    def run(self, command: str, input: Optional[bytes], timeout: Optional[int]) -> RunResult:
        environment = dict(os.environ, HOST_ROOT=self.folder)
        try:
            done = subprocess.run(["/bin/sh", "-c", command], cwd=self.folder, input=input or b"",
                                  capture_output=True, timeout=timeout, env=environment)
        except subprocess.TimeoutExpired:
            return RunResult(124, b"", f"timed out after {timeout} s\n".encode())
        return RunResult(done.returncode, done.stdout, done.stderr)

    def put(self, path: str, content: bytes, mode: Optional[str], owner: Optional[str],
            group: Optional[str]) -> None:
        folder = os.path.dirname(path)
        handle, temporary = tempfile.mkstemp(prefix=".infra-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.chmod(temporary, int(mode, 8) if mode else 0o644)
            if owner or group:
                os.chown(temporary, pwd.getpwnam(owner).pw_uid if owner else -1,
                         grp.getgrnam(group).gr_gid if group else -1)
            os.replace(temporary, path)
        except OSError as error:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise ConnectorError(f"cannot write {path}: {error.strerror}")

    def get(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise ConnectorError(f"cannot read {path}: {error.strerror}")


if __name__ == "__main__":
    main(transport=FolderTransport)
