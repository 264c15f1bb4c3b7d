#!/usr/bin/env python3
"""Hosts from a CSV file: an inventory program, as pyinfra's inventories from a database.

The file (`INVENTORY_CSV`, default `hosts.csv` in the repository) has a header line and one
host per line; `name` and `connect` are required, `groups` is a space-separated list, and any
other column becomes a `data:` entry of the host:

    name,connect,groups,role
    web1,ssh://deploy@10.0.0.5,web,frontend
    db1,ssh://deploy@10.0.0.9,db,primary

infra.yaml:

    inventory:
      - run: [python3, connectors/inventory_csv.py]
        env: { INVENTORY_CSV: inventory/hosts.csv }
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infra_connector import ConnectorError, Inventory, main  # noqa: E402


class CSVInventory(Inventory):
    def hosts(self) -> list:
        path = Path(os.environ.get("INVENTORY_CSV", "hosts.csv"))
        try:
            with path.open(newline="") as file:
                rows = list(csv.DictReader(file))
        except OSError as error:
            raise ConnectorError(f"cannot read {path}: {error.strerror}",
                                 hint="set INVENTORY_CSV under env: of the inventory program")
        hosts = []
        for number, row in enumerate(rows, start=2):
            if not row.get("name") or not row.get("connect"):
                raise ConnectorError(f"{path}:{number}: a host needs a name and a connect")
            data = {key: value for key, value in row.items()
                    if key not in ("name", "connect", "groups") and value}
            hosts.append({"name": row["name"], "connect": row["connect"],
                          "groups": (row.get("groups") or "").split(), "data": data})
        return hosts


if __name__ == "__main__":
    main(inventory=CSVInventory())
