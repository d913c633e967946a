"""Extract the v1alpha1 openAPIV3Schemas of the Chaos Mesh CRDs sre-gen emits into
tests/data/chaos-mesh/schemas.json.gz (descriptions dropped: they are most of the bytes).

Usage: python scripts/chaos_mesh_schemas.py <chaos-mesh checkout>/config/crd/bases
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import yaml

FILES = ("networkchaos", "stresschaos", "podchaos", "schedules")
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "chaos-mesh" / "schemas.json.gz"


def _strip(node):
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def main(folder: Path) -> None:
    out = {}
    for name in FILES:
        crd = yaml.safe_load((folder / f"chaos-mesh.org_{name}.yaml").read_text()
                             if (folder / f"chaos-mesh.org_{name}.yaml").is_file()
                             else (folder / f"{name}.yaml").read_text())
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
        out[crd["spec"]["names"]["kind"]] = _strip(version["schema"]["openAPIV3Schema"])
    data = json.dumps(out, sort_keys=True, separators=(",", ":")).encode()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(data, mtime=0))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
