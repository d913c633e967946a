"""Every ``default`` in the spec schema is what sre-gen does when the key is left out: for each
place a default applies in the shipped specs, the spec with the key removed and the spec with
the key set to the schema's default build the same model."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import yaml

from sre_gen.spec import build, load

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "sre_gen" / "schema" / "spec-v1.schema.json").read_text())
SPECS = [ROOT / "specs" / "autogen-review-bot.yaml", ROOT / "tests" / "specs" / "keda-variant.yaml",
         *sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml"))]


def _defaults(node, path=()):
    """(path of property names, with "*" for array items; default) for every default."""
    if isinstance(node, dict):
        if "default" in node:
            yield path, node["default"]
        for key, value in node.get("properties", {}).items():
            yield from _defaults(value, path + (key,))
        if isinstance(node.get("items"), dict):
            yield from _defaults(node["items"], path + ("*",))


def _parents(data, path):
    """The objects in ``data`` that hold the key ``path[-1]`` (each with its location)."""
    level = [((), data)]
    for part in path[:-1]:
        nxt = []
        for where, obj in level:
            if part == "*" and isinstance(obj, list):
                nxt += [(where + (i,), item) for i, item in enumerate(obj)]
            elif isinstance(obj, dict) and isinstance(obj.get(part), (dict, list)):
                nxt.append((where + (part,), obj[part]))
        level = nxt
    return [(where, obj) for where, obj in level if isinstance(obj, dict)]


def _model(data):
    """The model, without the spec line numbers it keeps for messages (adding or removing a
    key moves every line after it)."""
    return _lineless(build.build(load.load_text(yaml.safe_dump(data, sort_keys=False),
                                                "spec.yaml")))


def _lineless(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _lineless(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if "line" in changes:
            changes["line"] = 0
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_lineless(v) for v in value)
    return value


def _at(data, where):
    for part in where:
        data = data[part]
    return data


def _default_nodes(node):
    if isinstance(node, dict):
        if "default" in node:
            yield node
        for value in node.values():
            yield from _default_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _default_nodes(value)


def test_the_schema_has_defaults_and_each_is_valid() -> None:
    from sre_gen.spec import schema_check

    for node in _default_nodes(SCHEMA):
        errors: list = []
        schema_check._check(node["default"], node, (), errors)
        assert not errors, (node, errors)
    found = dict(_defaults(SCHEMA))
    assert found[("settings", "evaluationInterval")] == "1m"
    assert found[("slos", "*", "window")] == "30d"
    assert len(found) >= 25
    # every default sits where the behaviour test below reaches it (properties and items)
    assert len(found) == len(list(_default_nodes(SCHEMA)))


def test_every_schema_default_is_the_behaviour_without_the_key() -> None:
    checked = set()
    for spec in SPECS:
        data = yaml.safe_load(spec.read_text())
        for path, default in _defaults(SCHEMA):
            for where, _parent in _parents(data, path):
                without, with_default = copy.deepcopy(data), copy.deepcopy(data)
                _at(without, where).pop(path[-1], None)
                _at(with_default, where)[path[-1]] = default
                assert _model(without) == _model(with_default), (spec.name, where, path[-1])
                checked.add(path)
    # a default under objects no shipped spec has (e.g. errorBudgetPolicy.alerts.sliUnknown):
    # in the example, with those objects added empty
    example = yaml.safe_load(SPECS[0].read_text())
    for path, default in _defaults(SCHEMA):
        if path in checked or "*" in path:
            continue
        data = copy.deepcopy(example)
        parent = data
        for part in path[:-1]:
            parent = parent.setdefault(part, {})
        with_default = copy.deepcopy(data)
        _at(with_default, path[:-1])[path[-1]] = default
        assert _model(data) == _model(with_default), path
        checked.add(path)
    unchecked = [p for p, _ in _defaults(SCHEMA) if p not in checked]
    assert not unchecked, f"defaults no shipped spec exercises: {unchecked}"
