"""OpenSLO -> sre-gen: ``openslo/v1`` Service, SLO, SLI, AlertPolicy and AlertCondition documents
(inline or referenced by name, across all the files given) and the ``openslo/v1alpha`` SLOs
Sloth reads.

Mapping:
- SLO ``spec.service`` -> the spec (one per service); a Service document's description -> its
  description; SLO ``metadata.labels`` -> SLO labels;
- each objective -> one SLO (several objectives: ``<slo>-<objective displayName>``); ``target``
  (a ratio) x 100 or ``targetPercent`` -> objective;
- a rolling ``timeWindow`` -> window (w, d, h, m, s as sre-gen's; M, Q and Y as 30d, 90d and
  365d, said in the unmapped list); a calendar window is not supported: imported as the rolling
  window of the same length, and listed;
- ``ratioMetric`` good or bad, and total -> a ratio SLI (metric and selector when a query is
  ``sum(rate(<selector>[{{.window}}]))``, a bare selector of a counter likewise, else the query
  with ``{{window}}``); ``thresholdMetric`` -> a gauge SLI with the objective's op and value;
- budgeting by occurrences is sre-gen's. ``Timeslices`` with a ratio metric -> a gauge SLI: the
  good (or 1 - bad) ratio over the ``timeSliceWindow`` compared with ``timeSliceTarget`` at each
  rule evaluation (every 1m), so the budget counts bad slices (disjoint when the slice window is
  the evaluation interval; else overlapping, listed). RatioTimeslices (the average of per-slice
  ratios) is not supported: imported as Occurrences (listed);
- a burn-rate AlertCondition (``threshold``, ``lookbackWindow``, ``alertAfter``, ``severity``)
  -> an errorBudgetPolicy tier (burnRate, longWindow, for, severity) that the SLOs whose alert
  policies name it alert on. OpenSLO has no short window: sre-gen's default, longWindow / 12
  (the SRE workbook's ratio: 5m for 1h). An SLO without alert policies gets ``tiers: []``.
- DataSource and AlertNotificationTarget documents, notification targets and the policies'
  alertWhen* switches are not imported (listed).
"""

from __future__ import annotations

import re
from decimal import Decimal

from sre_gen.importers import source
from sre_gen.importers.source import Located, NotImportable, Output

KINDS = ("Service", "SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget",
         "DataSource")
_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_DURATION = re.compile(r"^\s*([0-9]+)\s*([smhdwMQY])\s*$")
_LONG_UNITS = {"M": (30, "a month"), "Q": (90, "a quarter"), "Y": (365, "a year")}
_V1ALPHA_UNITS = {"Second": "s", "Minute": "m", "Hour": "h", "Day": "d", "Week": "w",
                  "Month": "M", "Quarter": "Q", "Year": "Y"}
MIN_WINDOW = 3600


def import_docs(docs: list[Located]) -> list[Output]:
    registry: dict[tuple[str, str], tuple[Located, tuple]] = {}
    slos: list[tuple[Located, str]] = []
    for doc in docs:
        data = doc.data
        api = data.get("apiVersion") if isinstance(data, dict) else None
        if api not in ("openslo/v1", "openslo/v1alpha"):
            line, col = doc.doc.where(())
            raise NotImportable(doc.file, line, col, (
                "not an OpenSLO document: expected apiVersion: openslo/v1 (or openslo/v1alpha) "
                "and a kind"))
        kind = data.get("kind")
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        if kind not in KINDS or (api == "openslo/v1alpha" and kind not in ("SLO", "Service")):
            raise NotImportable(doc.file, *doc.doc.where(("kind",)), (
                f"OpenSLO kind {kind!r} ({api}) is not one sre-gen imports: "
                f"{', '.join(KINDS)} (v1), SLO and Service (v1alpha)"))
        registry[(kind, str(meta.get("name", "")))] = (doc, ())
        if kind == "SLO":
            slos.append((doc, api))
    services: dict[str, _Service] = {}
    for doc in [d for d, _ in registry.values()]:
        kind = doc.data["kind"]
        if kind in ("DataSource", "AlertNotificationTarget"):
            why = ("sre-gen's rules run in the Prometheus they are loaded into" if kind ==
                   "DataSource" else "route alerts with sre-gen's oncall receivers and "
                   "incidentClasses")
            services.setdefault("", _Service("", registry)).orphans.append(
                doc.unmapped(("kind",), f"{kind} documents are not imported: {why}"))
    for doc, api in slos:
        spec = doc.data.get("spec") if isinstance(doc.data.get("spec"), dict) else {}
        raw = spec.get("service") or (doc.data.get("metadata") or {}).get("name", "service")
        name = source.name(raw)
        svc = services.get(name)
        if svc is None:
            svc = services[name] = _Service(name, registry)
            if name != raw:
                svc.out.unmapped.append(doc.unmapped(("spec", "service"), (
                    f"service name {raw!r} is not an sre-gen name: imported as {name!r}")))
        svc.slo(doc, api)
    orphans = services.pop("", None)
    outputs = [s.output() for s in services.values()]
    if orphans is not None and outputs:
        outputs[0].unmapped += orphans.orphans
    return outputs


class _Service:
    def __init__(self, name: str, registry: dict):
        self.name, self.registry = name, registry
        self.out = Output(name, {"apiVersion": "sre-gen/v1", "service": {"name": name}})
        self.slos: list[dict] = []
        self.tiers: dict[str, dict] = {}
        self.orphans: list = []
        described = registry.get(("Service", name))
        if described is not None:
            doc = described[0]
            text = (doc.data.get("spec") or {}).get("description") or \
                (doc.data.get("metadata") or {}).get("displayName")
            if isinstance(text, str) and text:
                self.out.data["service"]["description"] = text
            self.out.note(("service",), f"imported from {doc.mark(())}")

    def unmapped(self, doc: Located, path: tuple, why: str) -> None:
        self.out.unmapped.append(doc.unmapped(path, why))

    # ---- SLOs -----------------------------------------------------------------------------------

    def slo(self, doc: Located, api: str) -> None:
        self.out.header.append(f"imported by sre-gen import openslo from {doc.file} ({api} SLO)")
        data, spec = doc.data, doc.data.get("spec") or {}
        meta = data.get("metadata") or {}
        base_name = source.name(meta.get("name", "slo"))
        if base_name != meta.get("name"):
            self.unmapped(doc, ("metadata", "name"), (
                f"SLO name {meta.get('name')!r} is not an sre-gen name: imported as "
                f"{base_name!r}"))
        window, window_note = self._window(doc, spec, api)
        method = spec.get("budgetingMethod", "Occurrences")
        self._timeslices = method == "Timeslices"
        if method not in ("Occurrences", "Timeslices"):
            self.unmapped(doc, ("spec", "budgetingMethod"), (
                f"budgetingMethod {method}: sre-gen budgets by occurrences (events), not time "
                "slices; imported as Occurrences"))
        tiers = self._policies(doc, spec.get("alertPolicies"), window) if api == "openslo/v1" \
            else []
        objectives = [o for o in spec.get("objectives") or () if isinstance(o, dict)]
        if not objectives:
            self.unmapped(doc, ("spec", "objectives"), "no objectives: SLO skipped")
            return
        for i, obj in enumerate(objectives):
            path = ("spec", "objectives", i)
            name = base_name
            if len(objectives) > 1:
                suffix = source.name(obj.get("displayName") or str(i + 1))
                name = source.name(f"{base_name}-{suffix}")
            taken = {s["name"] for s in self.slos}
            if name in taken:
                name = source.name(f"{name}-{i + 1}")
            sli, sli_notes = self._indicator(doc, spec, obj, path, api)
            if sli is None:
                continue
            objective = self._objective(doc, obj, path)
            if objective is None:
                continue
            if "ratio" in sli and "op" in obj:
                self.unmapped(doc, path + ("op",), (
                    f"op {obj['op']} compares threshold metrics (OpenSLO); a ratio objective is "
                    "met while good/total is at least the target"))
            if self._timeslices and "ratio" in sli:
                sli = self._timeslice_gauge(doc, spec, obj, path, sli, sli_notes)
            for key in ("timeSliceTarget", "timeSliceWindow"):
                if key in obj and "gauge" not in sli:
                    self.unmapped(doc, path + (key,), "sre-gen does not budget by time slices")
            out: dict = {"name": name}
            description = spec.get("description") or meta.get("displayName")
            if obj.get("displayName") and len(objectives) > 1:
                description = f"{description} ({obj['displayName']})" if description \
                    else obj["displayName"]
            if description:
                out["description"] = str(description)
            out["objective"] = objective
            out["window"] = window
            labels = self._labels(doc, meta.get("labels"))
            if labels:
                out["labels"] = labels
            out["sli"] = sli
            out["alerting"] = {"tiers": [t for t in tiers]}
            k = ("slos", len(self.slos))
            self.out.note(k, f"imported from {doc.mark(path)}")
            if window_note:
                self.out.note(k + ("window",), window_note)
            for sub, lines in sli_notes.items():
                self.out.comments[k + sub] = lines
            if not tiers:
                self.out.note(k + ("alerting", "tiers"), (
                    "the OpenSLO SLO names no burn-rate alert policy: no burn-rate alerts (remove "
                    "this to alert with sre-gen's default tiers)"))
            self.slos.append(out)

    def _labels(self, doc: Located, labels) -> dict:
        from sre_gen import conventions

        out = {}
        for key, value in labels.items() if isinstance(labels, dict) else ():
            path = ("metadata", "labels", key)
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            if not source.is_label(key) or key.startswith("__"):
                self.unmapped(doc, path, "not a Prometheus label name")
                continue
            if key in conventions.RESERVED_LABELS:
                self.unmapped(doc, path, (f"sre-gen sets the label {key!r} itself; imported "
                                          f"as 'meta_{key}'"))
                key = f"meta_{key}"
            out[key] = str(value)
        if isinstance((doc.data.get("metadata") or {}).get("annotations"), dict):
            self.unmapped(doc, ("metadata", "annotations"), "metadata annotations")
        return out

    def _objective(self, doc: Located, obj: dict, path: tuple):
        try:
            if "targetPercent" in obj:
                value = source.number(obj["targetPercent"])
            else:
                value = source.percent_of_ratio(obj["target"])
        except (KeyError, ValueError, ArithmeticError, TypeError):
            self.unmapped(doc, path, "no numeric target or targetPercent: SLO skipped")
            return None
        if not 0 < value < 100:
            self.unmapped(doc, path, f"target {value}% is outside sre-gen's (0, 100): skipped")
            return None
        return value

    def _window(self, doc: Located, spec: dict, api: str) -> tuple[str, str | None]:
        if api == "openslo/v1alpha":
            windows, key = spec.get("timeWindows") or [], "timeWindows"
            first = windows[0] if windows and isinstance(windows[0], dict) else {}
            unit = _V1ALPHA_UNITS.get(str(first.get("unit")), "")
            text = f"{first.get('count')}{unit}" if first else ""
        else:
            windows, key = spec.get("timeWindow") or [], "timeWindow"
            first = windows[0] if windows and isinstance(windows[0], dict) else {}
            text = str(first.get("duration", ""))
        path = ("spec", key, 0)
        if len(windows) > 1:
            self.unmapped(doc, ("spec", key, 1), "only the first time window is imported")
        if not first:
            return "30d", "no timeWindow in the OpenSLO SLO: sre-gen's default, 30d"
        note = f"imported from {doc.mark(path)}"
        calendar = first.get("isRolling") is False or "calendar" in first
        m = _DURATION.match(text)
        if not m:
            self.unmapped(doc, path, f"time window {text!r} is not a duration: 30d used")
            return "30d", note
        count, unit = int(m.group(1)), m.group(2)
        if unit in _LONG_UNITS:
            days, what = _LONG_UNITS[unit]
            self.unmapped(doc, path, (f"sre-gen windows are fixed lengths: {text} ({what} each) "
                                      f"imported as {count * days}d"))
            text = f"{count * days}d"
        seconds = count * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}.get(
            text[-1], 86400)
        if calendar:
            self.unmapped(doc, path, (
                "calendar windows are not supported (sre-gen's windows roll): imported as a "
                f"rolling {text if seconds >= MIN_WINDOW else '30d'} window"))
        if seconds < MIN_WINDOW:
            self.unmapped(doc, path, (f"a {text} window is shorter than the 1h sre-gen accepts "
                                      "(burn tiers need room): 30d used"))
            return "30d", note
        return text, note

    # ---- indicators -----------------------------------------------------------------------------

    def _indicator(self, doc: Located, spec: dict, obj: dict, path: tuple, api: str):
        notes: dict = {}
        if api == "openslo/v1alpha":
            ratio = obj.get("ratioMetrics")
            if not isinstance(ratio, dict):
                self.unmapped(doc, path, "only ratioMetrics objectives are imported (v1alpha)")
                return None, notes
            good, total = (ratio.get("good") or {}).get("query"), \
                (ratio.get("total") or {}).get("query")
            return self._ratio(doc, path + ("ratioMetrics",), "good", good, total, True, notes,
                               ("good", "query"), ("total", "query")), notes
        ind_doc, ind_path = doc, ("spec", "indicator")
        ind = spec.get("indicator")
        if ind is None and isinstance(spec.get("indicatorRef"), str):
            found = self.registry.get(("SLI", spec["indicatorRef"]))
            if found is None:
                self.unmapped(doc, ("spec", "indicatorRef"), (
                    f"no SLI document named {spec['indicatorRef']!r} among the files given: "
                    "SLO skipped"))
                return None, notes
            ind_doc, ind_path = found[0], ()
            ind = found[0].data
        body = ind.get("spec") if isinstance(ind, dict) else None
        if not isinstance(body, dict):
            self.unmapped(doc, path, "no indicator: SLO skipped")
            return None, notes
        base = ind_path + ("spec",)
        notes[("sli",)] = [f"imported from {ind_doc.mark(base)}"]
        if isinstance(body.get("ratioMetric"), dict):
            r = body["ratioMetric"]
            rp = base + ("ratioMetric",)
            if "raw" in r:
                self.unmapped(ind_doc, rp + ("raw",), "raw ratio metrics: SLO skipped (use good "
                                                      "or bad, and total)")
                return None, notes
            kind = "good" if "good" in r else "bad"
            ev = self._query(ind_doc, rp + (kind, "metricSource"), r.get(kind))
            tot = self._query(ind_doc, rp + ("total", "metricSource"), r.get("total"))
            counter = r.get("counter", True)
            return self._ratio(ind_doc, rp, kind, ev, tot, counter is not False, notes,
                               (kind,), ("total",)), notes
        if isinstance(body.get("thresholdMetric"), dict):
            q = self._query(ind_doc, base + ("thresholdMetric", "metricSource"),
                            body["thresholdMetric"])
            op = _OPS.get(str(obj.get("op")))
            try:
                value = source.number(obj.get("value"))
            except (ValueError, ArithmeticError, TypeError):
                value = None
            if q is None or op is None or value is None:
                self.unmapped(doc, path, ("a threshold metric needs a query, and the objective an "
                                          "op (lt, lte, gt, gte) and a value: SLO skipped"))
                return None, notes
            if source.has_window(q):
                self.unmapped(ind_doc, base + ("thresholdMetric",), (
                    "a threshold query with {{.window}}: sre-gen samples the gauge every "
                    "evaluation; the window is filled in as 5m"))
                q = q.replace("{{.window}}", "5m")
            notes[("sli", "gauge")] = [
                "OpenSLO threshold metric: the fraction of evaluations at which the query "
                f"is {op} {value} (good)"]
            return {"gauge": {"query": q.strip(), "op": op, "threshold": value}}, notes
        self.unmapped(doc, path, "the indicator is neither ratioMetric nor thresholdMetric: "
                                 "SLO skipped")
        return None, notes

    def _timeslice_gauge(self, doc: Located, spec: dict, obj: dict, path: tuple, sli: dict,
                         notes: dict) -> dict:
        """A Timeslices objective over a ratio SLI -> a gauge SLI: at every rule evaluation, the
        good ratio over the slice window is compared with ``timeSliceTarget``; the objective is
        the share of good slices. Unchanged (the budgeting method listed) when the objective has
        no usable slice target or window."""
        from sre_gen.durations import format_duration, num

        target, seconds = obj.get("timeSliceTarget"), _slice_seconds(obj.get("timeSliceWindow"))
        try:
            target = source.number(target)
        except (ValueError, ArithmeticError, TypeError):
            target = None
        if target is None or not 0 < target <= 1 or seconds is None:
            self.unmapped(doc, ("spec", "budgetingMethod"), (
                "budgetingMethod Timeslices needs an objective's timeSliceTarget in (0, 1] and a "
                "timeSliceWindow: imported as Occurrences"))
            return sli
        window = format_duration(seconds)
        ratio = sli["ratio"]
        key = "good" if "good" in ratio else "errors"
        good, total = (_events_query(ratio[key], seconds), _events_query(ratio["total"], seconds))
        query = f"({good}) / ({total})" if key == "good" else f"1 - ({good}) / ({total})"
        if seconds != 60:
            self.unmapped(doc, path + ("timeSliceWindow",), (
                f"time slices of {window}: sre-gen judges the trailing {window} at every rule "
                "evaluation (1m), so slices overlap; a slice of 1m, the evaluation interval, "
                "gives disjoint slices"))
        for sub in [k for k in notes if k[:2] == ("sli", "ratio")]:
            del notes[sub]
        notes[("sli", "gauge")] = [
            f"OpenSLO Timeslices ({doc.mark(('spec', 'budgetingMethod'))}): a slice is good "
            f"when its good ratio over {window} is >= {num(target)} (timeSliceTarget); the "
            "objective is the share of good slices,",
            "one slice per rule evaluation (the trailing window). rate() over the slice needs "
            "two samples in it: scrape more often than every " + window + ". A slice without "
            "traffic (0/0) is neither good nor bad."]
        return {"gauge": {"query": query, "op": ">=", "threshold": target}}

    def _query(self, doc: Located, path: tuple, metric) -> str | None:
        ms = (metric or {}).get("metricSource") if isinstance(metric, dict) else None
        if not isinstance(ms, dict):
            return None
        kind = ms.get("type")
        ref = ms.get("metricSourceRef")
        if kind is None and isinstance(ref, str) and ("DataSource", ref) in self.registry:
            kind = (self.registry[("DataSource", ref)][0].data.get("spec") or {}).get("type")
        query = (ms.get("spec") or {}).get("query") if isinstance(ms.get("spec"), dict) else None
        if not isinstance(query, str):
            self.unmapped(doc, path, "no spec.query in the metric source")
            return None
        if kind is not None and str(kind).lower() != "prometheus":
            self.unmapped(doc, path + ("type",), (
                f"metric source type {kind!r} is not Prometheus: its query is used as PromQL"))
        return query

    def _ratio(self, doc: Located, path: tuple, kind: str, ev, tot, counter: bool, notes: dict,
               ev_sub: tuple, tot_sub: tuple) -> dict | None:
        if not isinstance(ev, str) or not isinstance(tot, str):
            self.unmapped(doc, path, "a ratio needs a good or bad query, and a total: skipped")
            return None
        key = "good" if kind == "good" else "errors"
        out = {}
        for name, q, sub in ((key, ev, ev_sub), ("total", tot, tot_sub)):
            src = source.structured(q) if source.has_window(q) else None
            if src is None and not source.has_window(q):
                src = source.bare_selector(q)
                if src is None:
                    self.unmapped(doc, path + sub, (
                        "the query has no {{.window}} range and is not a bare counter selector: "
                        "sre-gen needs events per second over {{window}}; SLO skipped"))
                    return None
                notes[("sli", "ratio", name)] = [
                    f"imported from {doc.mark(path + sub)}: a bare selector, read as a counter "
                    "(sum(rate(...[window])))"]
                if not counter:
                    self.unmapped(doc, path + ("counter",), (
                        "counter: false (per-interval counts): sre-gen reads the series as a "
                        "counter"))
            elif src is None:
                src = {"query": source.with_sre_gen_window(q.strip())}
            notes.setdefault(("sli", "ratio", name), [f"imported from {doc.mark(path + sub)}"])
            out[name] = src
        if out[key] == out["total"]:
            self.unmapped(doc, path + ev_sub, (
                f"the {kind} and total queries are the same ({_short(ev)}): the SLI would "
                "measure nothing; SLO skipped (write the real queries in the OpenSLO file)"))
            return None
        return {"ratio": out}

    # ---- alerting -------------------------------------------------------------------------------

    def _policies(self, doc: Located, policies, window: str) -> list[str]:
        from sre_gen.durations import parse_duration

        names: list[str] = []
        for i, entry in enumerate(policies or ()):
            path = ("spec", "alertPolicies", i)
            pdoc, ppath, policy = self._resolve(doc, path, entry, "AlertPolicy",
                                                "alertPolicyRef")
            if policy is None:
                continue
            spec = policy.get("spec") or {}
            for key, why in (("alertWhenResolved", "resolved notifications are Alertmanager's "
                                                   "send_resolved"),
                             ("alertWhenNoData", "sre-gen's SLIAbsent alert covers missing data"),
                             ("notificationTargets", "route alerts with oncall receivers")):
                if spec.get(key):
                    self.unmapped(pdoc, ppath + ("spec", key), why)
            for j, cond in enumerate(spec.get("conditions") or ()):
                cpath = ppath + ("spec", "conditions", j)
                cdoc, cp, condition = self._resolve(pdoc, cpath, cond, "AlertCondition",
                                                    "conditionRef")
                if condition is None:
                    continue
                tier = self._tier(cdoc, cp, condition)
                if tier is None:
                    continue
                if parse_duration(tier["longWindow"]) > parse_duration(window):
                    self.unmapped(cdoc, cp, (f"lookback window {tier['longWindow']} is longer "
                                             f"than the SLO window {window}: not alerted on"))
                    continue
                if tier["name"] not in names:
                    names.append(tier["name"])
        return names

    def _resolve(self, doc: Located, path: tuple, entry, kind: str, ref_key: str):
        if isinstance(entry, dict) and isinstance(entry.get(ref_key), str):
            found = self.registry.get((kind, entry[ref_key]))
            if found is None:
                self.unmapped(doc, path + (ref_key,), (
                    f"no {kind} named {entry[ref_key]!r} among the files given"))
                return doc, path, None
            return found[0], (), found[0].data
        if isinstance(entry, dict) and entry.get("kind") == kind:
            return doc, path, entry
        self.unmapped(doc, path, f"expected a {ref_key} or an inline {kind}")
        return doc, path, None

    def _tier(self, doc: Located, path: tuple, condition: dict) -> dict | None:
        from sre_gen.durations import format_duration, parse_duration

        meta = condition.get("metadata") or {}
        spec = condition.get("spec") or {}
        cond = spec.get("condition") or {}
        cpath = path + ("spec", "condition")
        if cond.get("kind") != "burnrate" or cond.get("op", "gt") not in ("gt", "gte"):
            self.unmapped(doc, cpath, ("only burn-rate conditions (kind: burnrate, op gt or "
                                       "gte) become sre-gen burn tiers"))
            return None
        try:
            rate = source.number(cond.get("threshold"))
            long_w = parse_duration(str(cond.get("lookbackWindow")))
            after_text = str(cond.get("alertAfter", "0s")).strip()
            after = 0 if re.fullmatch(r"0+[smhdw]?", after_text) else parse_duration(after_text)
        except (ValueError, ArithmeticError, TypeError, Exception):  # noqa: BLE001
            self.unmapped(doc, cpath, "threshold, lookbackWindow or alertAfter does not parse")
            return None
        if not rate > 0 or long_w < 300:
            self.unmapped(doc, cpath, "needs a positive threshold and a lookback of 5m or more")
            return None
        name = source.name(meta.get("name", "burn"))
        severity = source.name(spec.get("severity") or "critical")
        if not re.match(r"^[a-z][a-z0-9_-]{0,30}$", severity):
            severity = "critical"
        tier: dict = {"name": name, "burnRate": rate, "longWindow": format_duration(long_w)}
        if after:
            tier["for"] = format_duration(after)
        tier["severity"] = severity
        if name not in self.tiers:
            self.tiers[name] = tier
            short = format_duration(long_w // 12)
            self.out.note(("errorBudgetPolicy", "tiers", len(self.tiers) - 1), (
                f"imported from {doc.mark(path)}; OpenSLO has no short window: sre-gen's "
                f"default, longWindow / 12 = {short}"))
        return tier

    def output(self) -> Output:
        if self.tiers:
            self.out.data["errorBudgetPolicy"] = {"tiers": list(self.tiers.values())}
        if self.slos:
            self.out.data["slos"] = self.slos
        return self.out


def _short(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _slice_seconds(value) -> int | None:
    """OpenSLO's timeSliceWindow: a number of minutes, or a duration (s, m, h, d)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value * 60
    m = _DURATION.match(str(value)) if isinstance(value, str) else None
    if m is None or m.group(2) not in "smhd" or int(m.group(1)) <= 0:
        return None
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _events_query(src: dict, window: int) -> str:
    """Events per second over ``window`` seconds of an imported event source (``metric`` +
    ``selector``, or a query with ``{{window}}``)."""
    from sre_gen import promql
    from sre_gen.durations import format_duration
    from sre_gen.spec.values import metric_selector

    if "query" in src:
        return promql.render_window(src["query"], window)
    sel = metric_selector(src["metric"], src.get("selector"))
    return f"sum(rate({promql.selector(sel)}[{format_duration(window)}]))"
