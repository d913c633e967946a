"""Skip a service whose output folder already holds what this sre-gen would write.

``sre-gen generate`` runs on every commit as a pre-commit hook, and the spec rarely changed.
Output is a pure function of the spec's bytes, how the spec is named (headers, messages), the
``--templates`` folder, the targets and sre-gen itself (its code, schema and templates), so after
writing a service, ``generate`` records a key over those inputs and the SHA-256 of every file it
wrote. The next run with the same key, whose files on disk still hash to what was written (a
hand-edited or deleted file does not), has nothing to do: it still validates the spec (errors
and warnings are the same as ever), then says ``up to date``.

sre-gen's own files enter the key by path, size and modification time (``git checkout``,
``pip install`` and any edit change them), everything else by content. The records live in
``$XDG_CACHE_HOME/sre-gen/outputs/`` (default ``~/.cache``), one small JSON file per output
folder, never in the checked-in output. The cache is best effort: a record that cannot be read
or written means the service is generated. ``SRE_GEN_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

FORMAT = 1
ENV_OFF = "SRE_GEN_NO_CACHE"

_code_fingerprint: str | None = None


def enabled() -> bool:
    return os.environ.get(ENV_OFF, "") in ("", "0")


def folder(kind: str) -> Path:
    """``$XDG_CACHE_HOME/sre-gen/<kind>`` (default ``~/.cache``): ``outputs`` here, ``templates``
    for compiled runbook templates (sre_gen.compile.runbooks)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sre-gen" / kind


def _folder() -> Path:
    return folder("outputs")


def _walk(root: str, h) -> None:
    """Each file under ``root`` (not byte-code) by relative path, size and mtime, sorted."""
    entries = []
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=True):
                        if e.name != "__pycache__":
                            stack.append(e.path)
                    elif not e.name.endswith((".pyc", ".pyo")):
                        st = e.stat()
                        entries.append(f"{os.path.relpath(e.path, root)}\0{st.st_size}\0"
                                       f"{st.st_mtime_ns}")
        except OSError:
            entries.append(f"{top}\0unreadable")
    for line in sorted(entries):
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")


def _code() -> str:
    """sre-gen itself: its package (code, schema) and its packaged templates."""
    global _code_fingerprint
    if _code_fingerprint is None:
        import importlib.util

        h = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
        roots = [str(Path(__file__).resolve().parent.parent)]
        spec = importlib.util.find_spec("sre_gen.templates")
        if spec is not None and spec.submodule_search_locations:
            roots += list(spec.submodule_search_locations)
        for root in roots:
            h.update(f"root\0{root}\n".encode("utf-8", "surrogateescape"))
            _walk(root, h)
        _code_fingerprint = h.hexdigest()
    return _code_fingerprint


def key(spec_path: str, spec_reference: str, templates: Path | None,
        targets: tuple[str, ...]) -> str | None:
    """The key of a service's inputs; None when an input cannot be read (no caching: the run
    itself then reports what it cannot read)."""
    h = hashlib.sha256(_code().encode())
    h.update(f"\0{spec_path}\0{spec_reference}\0{','.join(targets)}\0".encode(
        "utf-8", "surrogateescape"))
    try:
        h.update(hashlib.sha256(Path(spec_path).read_bytes()).digest())
        if templates is not None:  # by content: user templates are edited in place
            root = Path(templates)
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    h.update(path.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
                             + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return h.hexdigest()


def fleet_key(services: list[tuple[str, str]]) -> str:
    """The key of the fleet folder's inputs: sre-gen itself and the run's services (name and
    spec reference each); the fleet dashboard reads nothing else of the specs."""
    h = hashlib.sha256(_code().encode())
    h.update(b"\0fleet\0")
    for name, ref in services:
        h.update(f"{name}\0{ref}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _record_path(folder: Path) -> Path:
    name = hashlib.sha256(os.path.abspath(folder).encode("utf-8", "surrogateescape")).hexdigest()
    return _folder() / f"{name[:40]}.json"


def fresh(folder: Path, input_key: str | None) -> int | None:
    """The number of files when ``folder`` holds exactly what was written for ``input_key``;
    None when the service must be generated."""
    if input_key is None or not enabled():
        return None
    try:
        record = json.loads(_record_path(folder).read_text("utf-8"))
        if record.get("format") != FORMAT or record.get("key") != input_key:
            return None
        files = record["files"]
        for rel, digest in files.items():
            path = folder / rel
            if path.is_symlink() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                return None
        return len(files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def digests(files: dict[str, bytes]) -> dict[str, str]:
    """The SHA-256 of each file as written: relative path -> hex digest."""
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}


def record(folder: Path, input_key: str | None, files: dict[str, str]) -> None:
    """Remember that ``folder`` was written with ``files`` (``digests``) for ``input_key``
    (best effort)."""
    if input_key is None or not enabled():
        return
    path = _record_path(folder)
    data = {"format": FORMAT, "folder": os.path.abspath(folder), "key": input_key,
            "files": files}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def forget(folder: Path) -> None:
    """Drop the record of ``folder`` (before it is rewritten: a crash mid-way must not leave a
    record that vouches for a half-replaced folder)."""
    try:
        _record_path(folder).unlink()
    except OSError:
        pass
