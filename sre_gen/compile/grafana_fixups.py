"""The one fix-up layer between grafanalib 0.7.1's output and the dashboards Grafana 10-12 load.

grafanalib serialises panels in a Grafana 4-8 shape: schemaVersion 12, legacy keys (``rows``,
``span``, ``maxDataPoints: 100``, ``intervalFactor: 2``...), ``null`` for every unset attribute,
Graph-era threshold steps (``{"op", "yaxis", "line", "index", "value": "null"}``) and no grid
layout. ``normalize`` takes ``to_json_data()`` output (as plain JSON data) and:

1. lays panels out on Grafana's 24-column grid: each panel's ``gridPos`` ``w``/``h`` is its size,
   ``x``/``y`` are computed here, left to right, wrapping to a new line; a row starts a new line
   and takes the full width;
2. turns every panel's ``id``, a ``PanelKey`` (section and role) set by the dashboard builder,
   into a number derived from that key (``assign_ids``; a rare slot collision between two
   sections is resolved from those two keys alone): adding, removing, reordering or editing SLOs
   changes no other panel's id, so ``viewPanel`` links keep pointing at the same panel;
3. sets ``schemaVersion`` (39: loaded by Grafana 10.4, 11 and 12 without running the legacy
   migrations; Grafana only migrates upwards);
4. rewrites threshold steps to ``{"color", "value"}`` with a JSON ``null`` base step;
5. removes legacy and Graph-era keys, keys outside the dashboard schema, and ``null`` values
   (except a threshold step's ``value``, where ``null`` means "base");
6. removes what Grafana fills in by itself, so the same thing is not written hundreds of times:
   a target's ``datasource`` when it is the panel's (Grafana runs a query without one on the
   panel's data source), the Prometheus query defaults (``format: time_series``, ``instant:
   false``, an empty ``legendFormat``), empty ``mappings``, the stat panel's empty ``custom``
   and the time series field options equal to the time series plugin's own defaults
   (``TIMESERIES_CUSTOM_DEFAULTS``: Grafana applies the plugin's defaults to every key left
   out). What the published types require (``tests/data/grafana-types``) is kept.

Nothing else is changed: what a panel shows is decided by ``sre_gen.compile.dashboards``.
"""

from __future__ import annotations

from typing import Any

from sre_gen.panel_ids import ROLES, PanelKey, section_slots

SCHEMA_VERSION = 39
GRID_COLUMNS = 24
ROW_HEIGHT = 1

# Top-level keys of grafanalib's Dashboard that Grafana >= 7 no longer reads (or that break
# provisioning: ``__inputs`` is only substituted by the UI import, ``id`` is per-instance).
_DASHBOARD_LEGACY = ("__inputs", "rows", "style", "sharedCrosshair", "hideControls", "gnetId", "id")
_TIMEPICKER_LEGACY = ("time_options",)
# Panel keys of the Grafana 4-6 layout and Graph era, plus Table's keys outside the panel schema.
_PANEL_LEGACY = ("span", "minSpan", "height", "error", "editable", "cacheTimeout", "maxDataPoints",
                 "columns", "fontSize", "color")
_ROW_KEYS = ("type", "collapsed", "title", "gridPos", "id", "panels", "repeat", "datasource")
# Target keys of Graphite/legacy Prometheus queries: ``intervalFactor: 2`` and ``step: 10`` make
# series coarse; ``query``/``target``/``metric`` duplicate or predate ``expr``.
_TARGET_LEGACY = ("query", "target", "metric", "step", "intervalFactor")
_VARIABLE_LEGACY = ("useTags", "tagsQuery", "tagValuesQuery")
_VARIABLE_AUTO = ("auto", "auto_min", "auto_count")  # interval variables only
_THRESHOLD_LEGACY = ("op", "yaxis", "line", "index")
# Time series field options whose value is the time series plugin's default (Grafana 10-12,
# public/app/plugins/panel/timeseries: drawStyle line, linear lines and scale, width 1, points
# of size 5, no stacking, the axis on auto without a label, shown in legend, tooltip and chart).
TIMESERIES_CUSTOM_DEFAULTS: dict[str, Any] = {
    "axisLabel": "", "axisPlacement": "auto", "barAlignment": 0, "drawStyle": "line",
    "gradientMode": "none", "hideFrom": {"legend": False, "tooltip": False, "viz": False},
    "lineInterpolation": "linear", "lineWidth": 1, "pointSize": 5,
    "scaleDistribution": {"log": 2, "type": "linear"}, "spanNulls": False, "stacking": {},
}
# Prometheus query fields whose value is the default of Grafana's Prometheus data source.
_TARGET_DEFAULTS = {"format": "time_series", "instant": False, "legendFormat": ""}


class LayoutError(ValueError):
    """A panel does not fit the 24-column grid."""


def normalize(dashboard: dict[str, Any], schema_version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Return a Grafana 10-12 dashboard from grafanalib's JSON data (the input is not changed)."""
    dash = _strip_nulls(dashboard)
    for key in _DASHBOARD_LEGACY:
        dash.pop(key, None)
    dash["schemaVersion"] = max(schema_version, int(dash.get("schemaVersion") or 0))
    picker = dash.get("timepicker")
    if isinstance(picker, dict):
        for key in _TIMEPICKER_LEGACY:
            picker.pop(key, None)
    for variable in (dash.get("templating") or {}).get("list", []):
        _fix_variable(variable)
    panels = [_fix_panel(p) for p in dash.get("panels", [])]
    layout(panels)
    assign_ids(panels)
    dash["panels"] = panels
    return dash


def layout(panels: list[dict[str, Any]]) -> None:
    """Place panels on the grid in order: rows take a full-width line of height 1; other panels
    flow left to right (``gridPos.w`` columns wide, ``gridPos.h`` high) and wrap when the line is
    full. A line is as high as its highest panel."""
    x = y = line_height = 0
    for panel in panels:
        pos = panel.get("gridPos") or {}
        if panel.get("type") == "row":
            if x:
                y, x, line_height = y + line_height, 0, 0
            panel["gridPos"] = {"h": ROW_HEIGHT, "w": GRID_COLUMNS, "x": 0, "y": y}
            y += ROW_HEIGHT
            continue
        w, h = pos.get("w"), pos.get("h")
        if not isinstance(w, int) or not isinstance(h, int) or not 1 <= w <= GRID_COLUMNS or h < 1:
            raise LayoutError(f"panel {panel.get('title')!r}: size w={w} h={h} does not fit a "
                              f"{GRID_COLUMNS}-column grid")
        if x + w > GRID_COLUMNS:
            y, x, line_height = y + line_height, 0, 0
        panel["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        line_height = max(line_height, h)


# ---- stable panel ids (sre_gen.panel_ids) -------------------------------------------------------
def assign_ids(panels: list[dict[str, Any]]) -> None:
    """Replace each panel's ``id`` (a ``PanelKey``, rows' inner panels included) by its number
    (``sre_gen.panel_ids``)."""
    every = [p for panel in panels for p in (panel, *panel.get("panels", []))]
    for panel in every:
        if not isinstance(panel.get("id"), PanelKey):
            raise ValueError(f"panel {panel.get('title')!r} has no PanelKey id")
    slots = section_slots(p["id"].section for p in every)
    seen: dict[int, PanelKey] = {}
    for panel in every:
        key = panel["id"]
        number = slots[key.section] * ROLES + key.role
        if number in seen:
            raise ValueError(f"two panels with the key {key}")
        seen[number] = key
        panel["id"] = number


def _fix_panel(panel: dict[str, Any]) -> dict[str, Any]:
    if panel.get("type") == "row":
        row = {k: v for k, v in panel.items() if k in _ROW_KEYS}
        row.setdefault("collapsed", False)
        row["panels"] = [_fix_panel(p) for p in row.get("panels", [])]
        return row
    out = dict(panel)
    mappings = out.pop("mappings", None)  # grafanalib's Table puts them beside fieldConfig
    for key in _PANEL_LEGACY:
        out.pop(key, None)
    if "repeat" not in out:
        out.pop("repeatDirection", None)
        out.pop("maxPerRow", None)
    for key in ("hideTimeOverride", "transparent"):
        if out.get(key) is False:
            out.pop(key)
    for key in ("links", "transformations"):
        if out.get(key) == []:
            out.pop(key)
    field_config = out.get("fieldConfig")
    if out.get("type") == "text":
        out.pop("fieldConfig", None)
        if not out.get("targets"):
            out.pop("targets", None)
    elif isinstance(field_config, dict):
        defaults = field_config.setdefault("defaults", {})
        field_config.setdefault("overrides", [])
        if mappings and not defaults.get("mappings"):
            defaults["mappings"] = mappings
        _fix_thresholds(field_config)
        custom = defaults.get("custom")
        if out.get("type") == "table" and isinstance(custom, dict) and "displayMode" in custom:
            # Grafana 10 replaced the table's custom.displayMode with custom.cellOptions.
            custom.setdefault("cellOptions", {"type": custom.pop("displayMode")})
    if isinstance(field_config, dict) and "defaults" in field_config:
        _drop_defaults(out["type"], field_config["defaults"])
    if "targets" in out:
        out["targets"] = [_fix_target(t, out.get("datasource")) for t in out["targets"]]
    return out


def _drop_defaults(panel_type: str, defaults: dict[str, Any]) -> None:
    if defaults.get("mappings") == []:
        defaults.pop("mappings")
    custom = defaults.get("custom")
    if panel_type == "stat" and custom == {}:
        defaults.pop("custom")
    elif panel_type == "timeseries" and isinstance(custom, dict):
        for key, value in TIMESERIES_CUSTOM_DEFAULTS.items():
            if custom.get(key, object()) == value:
                custom.pop(key)


def _fix_target(target: dict[str, Any], panel_datasource: Any) -> dict[str, Any]:
    out = {k: v for k, v in target.items() if k not in _TARGET_LEGACY}
    if panel_datasource is not None and out.get("datasource") == panel_datasource:
        out.pop("datasource")
    if out.get("interval") == "":
        out.pop("interval")
    if out.get("hide") is False:
        out.pop("hide")
    if "expr" in out:  # the Prometheus query editor's own fields, so the editor opens in code mode
        out.setdefault("editorMode", "code")
        out.setdefault("range", not out.get("instant", False))
        for key, value in _TARGET_DEFAULTS.items():
            if out.get(key, object()) == value:
                out.pop(key)
    return out


def _fix_variable(variable: dict[str, Any]) -> None:
    for key in _VARIABLE_LEGACY:
        variable.pop(key, None)
    if variable.get("type") != "interval":
        for key in _VARIABLE_AUTO:
            variable.pop(key, None)
    current = variable.get("current")
    if isinstance(current, dict) and ("value" not in current or "text" not in current):
        variable.pop("current")  # grafanalib's unset default: Grafana picks the first option


def _fix_thresholds(node: Any) -> None:
    """Every ``thresholds: {mode, steps}`` below ``node``: Graph-era steps -> {color, value}."""
    if isinstance(node, list):
        for item in node:
            _fix_thresholds(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "thresholds" and isinstance(value, dict) and "steps" in value:
            steps = value.get("steps")
            value["steps"] = [_fix_step(s, i) for i, s in enumerate(steps)] if isinstance(
                steps, list) and steps else [{"color": "green", "value": None}]  # a base step
            value.setdefault("mode", "absolute")
        else:
            _fix_thresholds(value)


def _fix_step(step: dict[str, Any], index: int) -> dict[str, Any]:
    value = step.get("value")
    if index == 0 or value in ("null", None):
        value = None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)  # grafanalib insists on floats: 1.0 -> 1
    return {"color": step["color"], "value": value}


def _strip_nulls(node: Any) -> Any:
    """A deep copy without ``None`` values in objects (list items and threshold steps are kept:
    ``value: null`` is how a base threshold step is written)."""
    if isinstance(node, dict):
        is_step = set(node) >= {"color", "value"} and not set(node) - {"color", "value",
                                                                        *_THRESHOLD_LEGACY}
        return {k: _strip_nulls(v) for k, v in node.items()
                if v is not None or (is_step and k == "value")}
    if isinstance(node, list):
        return [_strip_nulls(v) for v in node]
    return node
