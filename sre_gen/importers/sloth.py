"""Sloth -> sre-gen: ``prometheus/v1`` specs (multi-document files too), Kubernetes
``sloth.slok.dev/v1`` ``PrometheusServiceLevel`` objects, and the ``openslo/v1alpha`` SLOs Sloth
reads (handed to ``openslo``).

Mapping (Sloth's own types, pkg/prometheus/api/v1 and pkg/kubernetes/api/sloth/v1):
- ``service`` -> service.name; ``labels`` -> service.labels; SLO ``labels`` -> SLO labels (sre-gen
  puts metadata labels on the info series and alerts only, never on the SLI series);
- Sloth's period (its ``--default-slo-period``, 30d) -> ``window: 30d``; its 30d alert windows
  (google-30d: page 2% 1h/5m and 5% 6h/30m, ticket 10% 1d/2h and 10% 3d/6h) -> four tiers with
  those budget shares, i.e. burn factors 14.4, 6, 3 and 1;
- ``events.error_query``/``total_query`` -> a ratio SLI errors/total, with metric and selector when
  a query is ``sum(rate(<selector>[{{.window}}]))``, else the query with ``{{window}}``;
- ``raw.error_ratio_query`` -> errors = the ratio, total = 1 while the ratio exists: windows up to
  rawWindowMax are the ratio itself, longer ones its average over time (as Sloth's 30d window);
- ``alerting.name`` -> alerting.name (one name for every tier, as Sloth's page and ticket alerts
  share it); ``alerting.labels``/``annotations`` -> alerting.labels/annotations;
  ``page_alert``/``ticket_alert`` ``labels.severity`` -> the tiers' severity, their other labels and
  annotations -> the page or ticket tiers' labels/annotations (plus ``sloth_severity``);
  ``disable`` -> alerting.tiers without those tiers;
- ``sli.plugin``: Sloth's published SLI plugins are known (``sloth_plugins``: the query each
  returns for its options, validated and escaped), and ``--sloth-rules`` reads any plugin's query
  back from the rules Sloth generated; another plugin runs Go code: not imported (listed), as are
  SLO plugins.
"""

from __future__ import annotations

import re

from sre_gen import conventions
from sre_gen.importers import source
from sre_gen.importers.source import Located, NotImportable, Output

TIERS = (  # Sloth's google-30d AlertWindows: (tier, budget %, long, short, Sloth severity)
    ("page-fast", 2, "1h", "5m", "page"),
    ("page-slow", 5, "6h", "30m", "page"),
    ("ticket-fast", 10, "1d", "2h", "ticket"),
    ("ticket-slow", 10, "3d", "6h", "ticket"),
)
DEFAULT_SEVERITY = {"page": "critical", "ticket": "warning"}
_PLAIN_KEYS = {"error_query": "error_query", "total_query": "total_query",
               "error_ratio_query": "error_ratio_query", "page_alert": "page_alert",
               "ticket_alert": "ticket_alert", "slo_plugins": "slo_plugins"}
_CRD_KEYS = {"error_query": "errorQuery", "total_query": "totalQuery",
             "error_ratio_query": "errorRatioQuery", "page_alert": "pageAlert",
             "ticket_alert": "ticketAlert", "slo_plugins": "sloPlugins"}


def kind_of(data) -> str | None:
    if not isinstance(data, dict):
        return None
    if str(data.get("version", "")).strip() == "prometheus/v1":
        return "prometheus/v1"
    if data.get("apiVersion") == "sloth.slok.dev/v1" and data.get("kind") == \
            "PrometheusServiceLevel":
        return "crd"
    if data.get("apiVersion") == "openslo/v1alpha" and data.get("kind") == "SLO":
        return "openslo"
    return None


def import_docs(docs: list[Located], sloth_rules: list[Located] = ()) -> list[Output]:
    """``sloth_rules``: rule files Sloth generated for these SLOs (``sloth generate`` output, or
    PrometheusRule objects), where the queries of SLI plugins are read back."""
    plugin_queries = _plugin_queries(sloth_rules)
    services: dict[str, _Service] = {}
    openslo_docs = []
    for doc in docs:
        kind = kind_of(doc.data)
        if kind is None:
            line, col = doc.doc.where(())
            raise NotImportable(doc.file, line, col, (
                "not a Sloth document: expected version: prometheus/v1, apiVersion: "
                "sloth.slok.dev/v1 with kind: PrometheusServiceLevel, or an openslo/v1alpha SLO"))
        if kind == "openslo":
            openslo_docs.append(doc)
            continue
        root = ("spec",) if kind == "crd" else ()
        keys = _CRD_KEYS if kind == "crd" else _PLAIN_KEYS
        body = _at(doc.data, root)
        if not isinstance(body, dict) or not isinstance(body.get("service"), str):
            line, col = doc.doc.where(root)
            raise NotImportable(doc.file, line, col, "a Sloth spec needs a service name")
        name = source.name(body["service"])
        svc = services.get(name)
        if svc is None:
            svc = services[name] = _Service(name, plugin_queries)
        svc.add(doc, root, body, keys, kind)
    outputs = [s.output() for s in services.values()]
    if openslo_docs:
        from sre_gen.importers import openslo

        outputs += openslo.import_docs(openslo_docs)
    return outputs


class _Service:
    def __init__(self, name: str, plugin_queries: dict):
        self.name = name
        self.plugin_queries = plugin_queries
        self.out = Output(name, {"apiVersion": "sre-gen/v1", "service": {"name": name}})
        self.slos: list[dict] = []
        self.tiers: dict[str, dict] = {}  # page|ticket -> {severity, labels, annotations, by}
        self.alert_names: dict[str, str] = {}
        self.crd = False
        self._pending: dict = {}  # comments of the SLO being built, relative to it

    def add(self, doc: Located, root: tuple, body: dict, keys: dict, kind: str) -> None:
        out, svc = self.out, self.out.data["service"]
        out.header.append(f"imported by sre-gen import sloth from {doc.file} ({kind})")
        if body["service"] != self.name:
            out.unmapped.append(doc.unmapped(root + ("service",), (
                f"service name {body['service']!r} is not an sre-gen name (lowercase letters, "
                f"digits and '-'): imported as {self.name!r}")))
        out.note(("service",), f"imported from {doc.mark(root + ('service',))}")
        if kind == "crd":
            self.crd = True
            meta = doc.data.get("metadata") or {}
            if isinstance(meta.get("namespace"), str) and source.is_name(meta["namespace"]):
                svc["namespace"] = meta["namespace"]
        labels = self._labels(doc, root + ("labels",), body.get("labels"))
        if labels:
            svc.setdefault("labels", {}).update(labels)
        for plug in (keys["slo_plugins"],):
            if body.get(plug):
                out.unmapped.append(doc.unmapped(root + (plug,), (
                    "Sloth SLO plugins are Go code sre-gen does not run; sre-gen's own rules "
                    "cover the core ones (SLI, metadata and alert rules; budgetExhausted alert)")))
        self._service_labels = body.get("labels") if isinstance(body.get("labels"), dict) else {}
        for i, slo in enumerate(body.get("slos") or ()):
            if isinstance(slo, dict):
                self._slo(doc, root + ("slos", i), slo, keys, body["service"])

    def _labels(self, doc: Located, path: tuple, labels) -> dict:
        out = {}
        for key, value in (labels or {}).items() if isinstance(labels, dict) else ():
            if not source.is_label(key) or key.startswith("__"):
                self.out.unmapped.append(doc.unmapped(path + (key,), "not a label name"))
                continue
            if key in conventions.RESERVED_LABELS:
                new = f"meta_{key}"
                self.out.unmapped.append(doc.unmapped(path + (key,), (
                    f"sre-gen sets the label {key!r} itself; imported as {new!r}")))
                key = new
            out[key] = str(value)
        return out

    def _slo(self, doc: Located, path: tuple, slo: dict, keys: dict, service: str) -> None:
        out = self.out
        raw_name = str(slo.get("name", ""))
        name = source.name(raw_name)
        taken = {s["name"] for s in self.slos}
        if name in taken:
            k = 2
            while f"{name}-{k}" in taken:
                k += 1
            out.unmapped.append(doc.unmapped(path + ("name",), (
                f"SLO name {name!r} is used twice in service {self.name!r}: imported as "
                f"'{name}-{k}'")))
            name = f"{name}-{k}"
        elif name != raw_name:
            out.unmapped.append(doc.unmapped(path + ("name",), (
                f"SLO name {raw_name!r} is not an sre-gen name: imported as {name!r}")))
        slo_labels = slo.get("labels") if isinstance(slo.get("labels"), dict) else {}
        sli = self._sli(doc, path + ("sli",), slo.get("sli"), keys,
                        self.plugin_queries.get((service, raw_name)),
                        {**self._service_labels, **slo_labels})
        if sli is None:
            return
        try:
            objective = source.number(slo.get("objective"))
        except (ValueError, ArithmeticError, TypeError):
            out.unmapped.append(doc.unmapped(path + ("objective",), "not a number: SLO skipped"))
            return
        if not 0 < objective < 100:
            out.unmapped.append(doc.unmapped(path + ("objective",), (
                f"objective {objective} is outside sre-gen's (0, 100) (a 100% SLO has no error "
                "budget): SLO skipped")))
            return
        spec: dict = {"name": name}
        if slo.get("description"):
            spec["description"] = str(slo["description"])
        spec["objective"] = objective
        spec["window"] = "30d"
        index = len(self.slos)
        base = ("slos", index)
        out.note(base, f"imported from {doc.mark(path)}")
        out.note(base + ("window",), "Sloth's SLO period (its --default-slo-period, 30d)")
        labels = self._labels(doc, path + ("labels",), slo.get("labels"))
        if labels:
            spec["labels"] = labels
        spec["sli"] = sli
        alerting = self._alerting(doc, path + ("alerting",), slo.get("alerting") or {}, keys,
                                  name)
        if alerting:
            spec["alerting"] = alerting
        for plug in ("plugins",):
            if slo.get(plug):
                out.unmapped.append(doc.unmapped(path + (plug,), (
                    "Sloth SLO plugins are Go code sre-gen does not run")))
        self.slos.append(spec)
        out.comments.update({base + k: v for k, v in self._pending.items()})
        self._pending = {}

    def _sli(self, doc: Located, path: tuple, sli, keys: dict,
             recovered: tuple[str, str] | None = None, labels: dict | None = None) -> dict | None:
        out = self.out
        self._pending = {}
        if not isinstance(sli, dict):
            out.unmapped.append(doc.unmapped(path, "no SLI: SLO skipped"))
            return None
        events = sli.get("events")
        if isinstance(events, dict):
            err, tot = events.get(keys["error_query"]), events.get(keys["total_query"])
            lat = source.latency(err, tot) if isinstance(err, str) and \
                isinstance(tot, str) else None
            if lat is not None:
                self._pending[("sli", "latency")] = [
                    f"imported from {doc.mark(path + ('events', keys['error_query']))} and "
                    f"{doc.mark(path + ('events', keys['total_query']))}: requests slower than "
                    "the bucket (count - bucket) over the count, sre-gen's latency SLI (it also "
                    "matches Prometheus 3's le spelling)"]
                return {"latency": lat}
            if isinstance(err, str) and isinstance(tot, str):
                self._pending[("sli", "ratio", "errors")] = [
                    f"imported from {doc.mark(path + ('events', keys['error_query']))}"]
                self._pending[("sli", "ratio", "total")] = [
                    f"imported from {doc.mark(path + ('events', keys['total_query']))}"]
                return {"ratio": {"errors": source.event_source(err),
                                  "total": source.event_source(tot)}}
        raw = sli.get("raw")
        plugin = sli.get("plugin") if isinstance(sli.get("plugin"), dict) else None
        if plugin is not None and recovered is None:
            recovered = self._known_plugin(doc, path + ("plugin",), plugin, labels or {})
            if recovered is False:
                return None
        if plugin is not None and recovered is not None:
            raw = {keys["error_ratio_query"]: recovered[0]}
        if isinstance(raw, dict) and isinstance(raw.get(keys["error_ratio_query"]), str):
            q = source.with_sre_gen_window(raw[keys["error_ratio_query"]].strip())
            origin = (f"imported from {doc.mark(path + ('raw', keys['error_ratio_query']))}: "
                      "Sloth's raw error ratio.") if plugin is None or recovered is None else (
                f"SLI plugin {plugin.get('id', '')!r} ({doc.mark(path + ('plugin',))}): its "
                f"error ratio {recovered[1]}.")
            self._pending[("sli", "ratio")] = [
                origin,
                "sre-gen has no error-ratio SLI: errors is the ratio (NaN, from no traffic, "
                "dropped) and total 1 while it exists,",
                "so windows up to rawWindowMax are the ratio itself and longer ones its average "
                "over time, as Sloth's 30d window."]
            return {"ratio": {"errors": {"query": f"({q}) >= 0"},
                              "total": {"query": f"(({q}) >= 0) * 0 + 1"}}}
        if isinstance(sli.get("plugin"), dict):
            plugin = sli["plugin"].get("id", "")
            out.unmapped.append(doc.unmapped(path + ("plugin",), (
                f"SLI plugin {plugin!r} is Go code sre-gen does not run: SLO skipped; pass the "
                "rules Sloth generated for it with --sloth-rules FILE, or write its query as "
                "sli.ratio (errors and total with {{window}})")))
            return None
        out.unmapped.append(doc.unmapped(path, "no events, raw or plugin SLI: SLO skipped"))
        return None

    def _known_plugin(self, doc: Located, path: tuple, plugin: dict, labels: dict):
        """(query, origin) of a plugin in sre-gen's catalogue of Sloth's published plugins; None
        when the plugin is not in it; False when its options are refused (listed)."""
        from sre_gen.importers import sloth_plugins

        known = sloth_plugins.CATALOGUE.get(str(plugin.get("id", "")))
        if known is None:
            return None
        options = plugin.get("options") if plugin.get("options") is not None else {}
        try:
            if not isinstance(options, dict):
                raise sloth_plugins.PluginError(None, "options must be a mapping")
            query = sloth_plugins.query(known, options, labels)
        except sloth_plugins.PluginError as exc:
            where = path + ("options", exc.option) if exc.option in (
                options if isinstance(options, dict) else {}) else path
            self.out.unmapped.append(doc.unmapped(where, (
                f"SLI plugin {known.id!r}: {exc}: SLO skipped")))
            return False
        return query, (f"as the plugin returns it for these options (sre-gen's catalogue of "
                       f"Sloth's plugins; its query from {known.source})")

    def _alerting(self, doc: Located, path: tuple, alerting: dict, keys: dict,
                  slo: str) -> dict:
        out = self.out
        spec: dict = {}
        if not isinstance(alerting, dict):
            return spec
        enabled = []
        for sev, key in (("page", keys["page_alert"]), ("ticket", keys["ticket_alert"])):
            sub = alerting.get(key) or {}
            if not isinstance(sub, dict) or sub.get("disable") is True:
                continue
            enabled.append(sev)
            self._tier(doc, path + (key,), sub, sev, slo)
        name = alerting.get("name")
        if isinstance(name, str) and name and enabled:
            if not source.is_label(name):  # Prometheus alert names have the label-name shape
                out.unmapped.append(doc.unmapped(path + ("name",), (
                    "not a Prometheus alert name: the generated name is used")))
            elif name in self.alert_names:
                new = name + conventions.pascal(slo)
                out.unmapped.append(doc.unmapped(path + ("name",), (
                    f"alert name {name!r} is already SLO {self.alert_names[name]!r}'s; sre-gen "
                    f"names each SLO's burn-rate alerts apart: imported as {new!r}")))
                spec["name"] = new
            else:
                spec["name"] = name
            self.alert_names.setdefault(spec.get("name", name), slo)
        labels = alerting.get("labels")
        if isinstance(labels, dict) and enabled:
            if "severity" in labels:
                out.unmapped.append(doc.unmapped(path + ("labels", "severity"), (
                    "a severity for both page and ticket alerts: sre-gen's severity is per tier "
                    "(page_alert/ticket_alert labels.severity)")))
            got = self._labels(doc, path + ("labels",),
                               {k: v for k, v in labels.items() if k != "severity"})
            if got:
                spec["labels"] = got
        annotations = self._annotations(doc, path + ("annotations",), alerting.get("annotations"))
        if annotations and enabled:
            spec["annotations"] = annotations
        if len(enabled) < 2:
            spec["tiers"] = [t[0] for t in TIERS if t[4] in enabled]
        return spec

    def _annotations(self, doc: Located, path: tuple, annotations) -> dict:
        out = {}
        for key, value in annotations.items() if isinstance(annotations, dict) else ():
            if not source.is_label(key):
                self.out.unmapped.append(doc.unmapped(path + (key,), "not an annotation name"))
            elif key in ("runbook_url", "dashboard_url"):
                self.out.unmapped.append(doc.unmapped(path + (key,), (
                    f"sre-gen sets {key} itself: set service.runbookBaseUrl/dashboardBaseUrl")))
            else:
                out[key] = str(value)
        return out

    def _tier(self, doc: Located, path: tuple, sub: dict, sev: str, slo: str) -> None:
        labels = dict(sub.get("labels") or {}) if isinstance(sub.get("labels"), dict) else {}
        severity = labels.pop("severity", None)
        severity = source.name(severity) if severity is not None else DEFAULT_SEVERITY[sev]
        got = {"severity": severity, "labels": self._labels(doc, path + ("labels",), labels),
               "annotations": self._annotations(doc, path + ("annotations",),
                                                sub.get("annotations"))}
        first = self.tiers.get(sev)
        if first is None:
            self.tiers[sev] = {**got, "by": slo, "mark": doc.mark(path)}
        elif {k: first[k] for k in got} != got:
            self.out.unmapped.append(doc.unmapped(path, (
                f"sre-gen's {sev} tiers are shared by the service's SLOs and carry SLO "
                f"{first['by']!r}'s severity, labels and annotations; this SLO's differ")))

    def output(self) -> Output:
        out, data = self.out, self.out.data
        if self.crd:
            data["settings"] = {"ruleFormat": "both"}
            out.note(("settings", "ruleFormat"), "a PrometheusServiceLevel: also write a "
                     "PrometheusRule object, as Sloth's controller does")
        data.setdefault("settings", {})["slothCompat"] = True
        out.note(("settings", "slothCompat"), "Sloth's labels on the SLO series, for Sloth's "
                 "Grafana dashboards while you migrate (remove it after)")
        used = [t for t in TIERS if t[4] in self.tiers]
        if used:
            tiers = []
            for i, (name, share, long_w, short_w, sev) in enumerate(used):
                got = self.tiers[sev]
                tier = {"name": name, "budgetPercent": share, "longWindow": long_w,
                        "shortWindow": short_w, "severity": got["severity"],
                        "labels": {"sloth_severity": sev, **got["labels"]}}
                if got["annotations"]:
                    tier["annotations"] = got["annotations"]
                tiers.append(tier)
                out.note(("errorBudgetPolicy", "tiers", i), (
                    f"Sloth's {sev} alert window ({share}% of the 30d budget in {long_w}, burn "
                    f"factor {_factor(share, long_w)}); imported from {got['mark']}"))
            data["errorBudgetPolicy"] = {"tiers": tiers}
        if self.slos:
            data["slos"] = self.slos
        return out


def _factor(share: int, long_w: str) -> str:
    from decimal import Decimal

    from sre_gen.durations import num, parse_duration

    return num(Decimal(share) / 100 * 30 * 86400 / parse_duration(long_w))


def _at(data, path: tuple):
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


_RATIO = re.compile(r"^slo:sli_error:ratio_rate([0-9]+[smhdw])$")


def _plugin_queries(files: list[Located]) -> dict[tuple[str, str], tuple[str, str]]:
    """(Sloth service, SLO) -> (error-ratio query with {{window}}, where it was read), from the
    ``slo:sli_error:ratio_rate<W>`` rules Sloth generated: the 5m rule with its ``[5m]`` ranges
    made ``[{{window}}]``, kept only when it gives every other raw window's rule exactly (so a
    5m that is not the window is never taken for the query); the long windows Sloth derives from
    the 5m series are left out of that comparison."""
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for doc in files:
        data = doc.data if isinstance(doc.data, dict) else {}
        groups = data.get("groups") or (data.get("spec") or {}).get("groups") or ()
        base = ("groups",) if data.get("groups") else ("spec", "groups")
        for gi, group in enumerate(groups):
            for ri, rule in enumerate((group or {}).get("rules") or ()):
                m = _RATIO.match(str((rule or {}).get("record", "")))
                labels = (rule or {}).get("labels") or {}
                if not m or not isinstance(rule.get("expr"), str):
                    continue
                key = (str(labels.get("sloth_service")), str(labels.get("sloth_slo")))
                found.setdefault(key, {})[m.group(1)] = (
                    rule["expr"], doc.mark(base + (gi, "rules", ri)))
    out = {}
    for key, windows in found.items():
        if "5m" not in windows:
            continue
        template = windows["5m"][0].strip().replace("[5m]", "[{{window}}]")
        others = [w for w in windows if w != "5m" and "slo:sli_error" not in windows[w][0]]
        if not others or any(_norm(template.replace("{{window}}", w)) != _norm(windows[w][0])
                             for w in others):
            continue
        out[key] = (template, f"as Sloth generated it, read from {windows['5m'][1]}")
    return out


def _norm(text: str) -> str:
    return " ".join(text.split())
