# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build snapshot results (the shape the snapshot script returns) from certificates placed in stores.

result = snapshot_result({("Root", "group_policy"): [root], ("CA", "registry"): [sub]},
                         crls={("CA", "registry"): [crl]}, raw={("Root", "registry"): {"ABCD": b"junk"}},
                         records={"Pins": {root.thumbprint: "2026-11-01T10:00:00Z"}})

`records` are sfb.pki.root_store's own records (plugins/module_utils/_rootrecords.py), by list
(`Pins`, `Moves`); a list not given reads as a key that does not exist.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.sfb.pki.plugins.module_utils._rootrecords import RECORD_LISTS
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot
from ansible_collections.sfb.pki.plugins.module_utils._stores import PHYSICAL_STORES, physical_store

Placement = tuple[str, str]

# Placements by name, as the unit tests write them.
ROOT_REG: Placement = ("Root", "registry")
ROOT_GP: Placement = ("Root", "group_policy")
ROOT_ENT: Placement = ("Root", "enterprise")
ROOT_3P: Placement = ("Root", "third_party")
CA_REG: Placement = ("CA", "registry")


def _blob_key(name: str, blob: bytes, kind: str = "binary") -> dict[str, Any]:
    return {
        "name": name,
        "exists": True,
        "values": {"Blob": {"type": kind, "value": base64.b64encode(blob).decode("ascii")}},
        "subkeys": [],
    }


def snapshot_result(
    certs: Mapping[Placement, Iterable[Any]] | None = None,
    *,
    crls: Mapping[Placement, Iterable[Any]] | None = None,
    raw: Mapping[Placement, Mapping[str, bytes]] | None = None,
    raw_values: Mapping[Placement, Mapping[str, dict[str, Any]]] | None = None,
    missing: Iterable[Placement] = (),
    computer_name: str = "FE01",
    records: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """A snapshot result holding every physical store; items need `.thumbprint` and `.blob`."""
    certs = certs or {}
    crls = crls or {}
    raw = raw or {}
    raw_values = raw_values or {}
    gone = set(missing)
    keys: list[dict[str, Any]] = []
    for store in PHYSICAL_STORES:
        where = (store.logical, store.physical)
        subkeys = [_blob_key(item.thumbprint, item.blob) for item in certs.get(where, [])]
        subkeys += [_blob_key(name, blob) for name, blob in raw.get(where, {}).items()]
        subkeys += [
            {"name": name, "exists": True, "values": values, "subkeys": []}
            for name, values in raw_values.get(where, {}).items()
        ]
        keys.append(
            {"path": store.certificates_key, "exists": where not in gone, "values": {}, "subkeys": subkeys}
        )
        if store.logical == "CA":
            crl_keys = [_blob_key(item.thumbprint, item.blob) for item in crls.get(where, [])]
            keys.append({"path": store.crls_key, "exists": True, "values": {}, "subkeys": crl_keys})
    for name, (path, value_name) in RECORD_LISTS.items():
        given = (records or {}).get(name)
        subkeys = [
            {
                "name": thumb,
                "exists": True,
                "values": {value_name: {"type": "string", "value": stamp}},
                "subkeys": [],
            }
            for thumb, stamp in (given or {}).items()
        ]
        keys.append({"path": path, "exists": given is not None, "values": {}, "subkeys": subkeys})
    return {"computer_name": computer_name, "keys": keys, "services": [], "folders": [], "events": []}


def snapshot(*args: Any, **kwargs: Any) -> Snapshot:
    """Parsed form of snapshot_result()."""
    return Snapshot.from_result(snapshot_result(*args, **kwargs))


def place(store: str, physical: str) -> Placement:
    """Check a placement names a real physical store."""
    physical_store(store, physical)
    return (store, physical)
