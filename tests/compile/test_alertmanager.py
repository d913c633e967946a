"""Alertmanager routing: goldens, real `amtool check-config` and `amtool config routes test`
per incident class, and inhibition rules evaluated against the labels of the generated alerts."""

from __future__ import annotations

import re
import subprocess
from itertools import permutations
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import alertmanager
from sre_gen.compile.rules import all_alerts
from sre_gen.output import write
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]


def _write_config(service, folder: Path) -> Path:
    """The generated files as written (with their header) into ``folder``."""
    files = write.with_headers(alertmanager.build(service, Context()), "specs/x.yaml")
    for rel in (cv.ALERTMANAGER_ROUTES_FILE, cv.ALERTMANAGER_CONFIG_FILE):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
    return folder / cv.ALERTMANAGER_CONFIG_FILE


def _route(amtool: str, config: Path, labels: dict[str, str],
           verify: str | None = None) -> subprocess.CompletedProcess:
    cmd = [amtool, "config", "routes", "test", f"--config.file={config}"]
    if verify is not None:
        cmd.append(f"--verify.receivers={verify}")
    cmd += [f"{k}={v}" for k, v in labels.items()]
    return subprocess.run(cmd, capture_output=True, text=True)


# ---- goldens and amtool -----------------------------------------------------------------------
def test_example_alertmanager_matches_golden(example_service, golden) -> None:
    files = alertmanager.build(example_service, Context())
    assert sorted(files) == [cv.ALERTMANAGER_CONFIG_FILE, cv.ALERTMANAGER_ROUTES_FILE]
    for rel, text in sorted(files.items()):
        golden(f"alertmanager/{Path(rel).name}", text)


def test_amtool_check_config_accepts_the_example(example_service, tmp_path: Path,
                                                 amtool: str) -> None:
    config = _write_config(example_service, tmp_path)
    proc = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout and " - 13 inhibit rules" in proc.stdout
    assert " - 3 receivers" in proc.stdout


def test_each_incident_class_reaches_its_receiver_with_real_amtool(example_service,
                                                                   tmp_path: Path,
                                                                   amtool: str) -> None:
    config = _write_config(example_service, tmp_path)
    checked = 0
    for cls in example_service.incident_classes:
        expected = cv.alertmanager_receiver(example_service.name, cls.receiver)
        for severity in cls.severities:
            labels = {"service": example_service.name, "severity": severity,
                      "incident": cls.name, "alertname": "Anything"}
            proc = _route(amtool, config, labels, verify=expected)
            assert proc.returncode == 0, (cls.name, severity, proc.stdout + proc.stderr)
            assert proc.stdout.strip() == expected
            checked += 1
    assert checked == 6  # sev1..sev4 cover critical, high, medium, warning, low, info
    # the check can fail: a page-class alert does not go to the ticket queue
    wrong = _route(amtool, config, {"service": example_service.name, "severity": "critical"},
                   verify=cv.alertmanager_receiver(example_service.name, "ticket-queue"))
    assert wrong.returncode == 1 and "did not match" in wrong.stdout + wrong.stderr


def test_every_generated_alert_routes_to_its_class_receiver(example_service, tmp_path: Path,
                                                            amtool: str) -> None:
    """The labels the rules really put on alerts (including custom and HPA alerts, whose
    expressions carry no service label) reach the class receiver."""
    config = _write_config(example_service, tmp_path)
    seen = set()
    for rule in all_alerts(example_service):
        labels = {**dict(rule.labels), "alertname": rule.alert or ""}
        key = (labels.get("service"), labels["severity"])
        if key in seen:
            continue
        seen.add(key)
        cls = example_service.incident_class_for(labels["severity"])
        expected = cv.alertmanager_receiver(example_service.name, cls.receiver)
        proc = _route(amtool, config, {k: v for k, v in labels.items() if "\n" not in v},
                      verify=expected)
        assert proc.returncode == 0, (rule.alert, proc.stdout + proc.stderr)
    assert {s for _, s in seen} == {"critical", "high", "medium", "warning"}
    assert {svc for svc, _ in seen} == {example_service.name}


@pytest.mark.parametrize("labels", [
    {"service": "autogen-review-bot", "severity": "no-such-severity"},
    {"service": "autogen-review-bot"},
    {"service": "another-service", "severity": "critical"},
    {"severity": "critical"},
])
def test_unmatched_alerts_go_to_the_default_receiver(example_service, tmp_path: Path,
                                                     amtool: str, labels: dict) -> None:
    config = _write_config(example_service, tmp_path)
    default = cv.alertmanager_receiver(example_service.name,
                                       example_service.oncall.default_receiver)
    assert default == "autogen-review-bot/slack-sre"
    proc = _route(amtool, config, labels, verify=default)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_routes_fragment_merges_into_a_config(example_service, tmp_path: Path,
                                              amtool: str) -> None:
    """routes.yaml: each key appends to the list of the same name of an existing config."""
    frag = yaml.safe_load(alertmanager.build(example_service, Context())[
        cv.ALERTMANAGER_ROUTES_FILE])
    assert sorted(frag) == ["inhibit_rules", "receivers", "routes", "time_intervals"]
    existing = {
        "route": {"receiver": "ops", "routes": [{"matchers": ['team="db"'], "receiver": "ops"}]},
        "receivers": [{"name": "ops"}],
    }
    existing["route"]["routes"] += frag["routes"]
    existing["receivers"] += frag["receivers"]
    for key in ("inhibit_rules", "time_intervals"):
        existing[key] = frag[key]
    config = tmp_path / "merged.yml"
    config.write_text(yaml.safe_dump(existing, sort_keys=False))
    check = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert _route(amtool, config, {"service": "autogen-review-bot", "severity": "critical"},
                  verify="autogen-review-bot/pager-primary").returncode == 0
    assert _route(amtool, config, {"team": "db"}, verify="ops").returncode == 0


def test_timings_follow_response_and_escalation_times(example_service) -> None:
    got = {c.name: alertmanager.timings(c) for c in example_service.incident_classes}
    assert got == {
        "sev1": {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "30m"},
        "sev2": {"group_wait": "1m", "group_interval": "10m", "repeat_interval": "1h"},
        "sev3": {"group_wait": "4m", "group_interval": "40m", "repeat_interval": "4h"},
        "sev4": {"group_wait": "5m", "group_interval": "1h", "repeat_interval": "3d"},
    }
    routes = yaml.safe_load(alertmanager.build(example_service, Context())[
        cv.ALERTMANAGER_ROUTES_FILE])["routes"][0]["routes"]
    assert [r.get("active_time_intervals") for r in routes] == \
        [None, None, None, ["autogen-review-bot/business-hours"]]


def test_timings_clamp_and_round(example_service) -> None:
    from dataclasses import replace

    cls = example_service.incident_classes[0]
    fast = replace(cls, response_time=60, escalation_time=100)
    assert alertmanager.timings(fast) == {"group_wait": "10s", "group_interval": "1m",
                                          "repeat_interval": "2m"}
    slow = replace(cls, response_time=7 * 86400, escalation_time=3 * 3600 + 1)
    assert alertmanager.timings(slow) == {"group_wait": "5m", "group_interval": "1h",
                                          "repeat_interval": "4h"}


# ---- inhibition ---------------------------------------------------------------------------------
_MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"$')


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    name, op, raw = _MATCHER.match(matcher).groups()
    value = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], raw)
    actual = labels.get(name, "")
    if op in ("=~", "!~"):
        hit = re.fullmatch(value, actual) is not None
        return hit if op == "=~" else not hit
    return (actual == value) if op == "=" else (actual != value)


def _inhibits(rules: list[dict], source: dict, target: dict) -> bool:
    return any(
        all(_matches(m, source) for m in r["source_matchers"])
        and all(_matches(m, target) for m in r["target_matchers"])
        and all(source.get(k, "") == target.get(k, "") for k in r["equal"])
        for r in rules)


def test_inhibition_mutes_exactly_slower_tiers_and_warning_twins(example_service) -> None:
    rules = yaml.safe_load(alertmanager.build(example_service, Context())[
        cv.ALERTMANAGER_CONFIG_FILE])["inhibit_rules"]
    assert all(set(r) == {"source_matchers", "target_matchers", "equal"} for r in rules)
    rates = {(s.name, t.name): t.burn_rate for s in example_service.slos for t in s.tiers}
    alerts = [r for r in all_alerts(example_service)]
    muted = 0
    for a, b in permutations(alerts, 2):
        la = {**dict(a.labels), "alertname": a.alert}
        lb = {**dict(b.labels), "alertname": b.alert}
        expected = (
            (a.kind == b.kind == "slo-burn" and a.slo == b.slo
             and rates[(a.slo, a.tier)] > rates[(b.slo, b.tier)])
            or (a.kind == b.kind == "golden" and a.alert == b.alert
                and a.level == "critical" and b.level == "warning"))
        assert _inhibits(rules, la, lb) == expected, (a.alert, a.tier or a.level, b.alert,
                                                      b.tier or b.level)
        muted += expected
    assert muted == 6 * 3 + 9  # 6 SLOs with 3 tiers; 9 golden signals with both levels


# ---- escaping, receivers of every kind, no oncall -----------------------------------------------
def _spec(tmp_path: Path, **overrides) -> Path:
    spec = {
        "apiVersion": "sre-gen/v1",
        "service": {"name": "odd-svc"},
        "slos": [{"name": "availability", "objective": 99.9, "window": "30d",
                  "sli": {"ratio": {"errors": {"metric": "errors_total"},
                                    "total": {"metric": "requests_total"}}}}],
        "errorBudgetPolicy": {"tiers": [
            {"name": "page", "burnRate": 14.4, "longWindow": "1h", "shortWindow": "5m",
             "severity": "page"},
            {"name": "ticket", "burnRate": 3, "longWindow": "1d", "shortWindow": "2h",
             "severity": "ticket"}],
            "alerts": {"budgetExhausted": {"severity": "ticket"},
                       "sliAbsent": {"severity": "ticket"}}},
        "incidentClasses": [
            {"name": "urgent", "responseTime": "5m", "escalationTime": "15m",
             "severities": ["page"], "receiver": "mail"},
            {"name": "later", "responseTime": "1d", "escalationTime": "2d",
             "severities": ["ticket", "info_x-y"], "receiver": "void", "businessHoursOnly": True},
        ],
        "oncall": {"defaultReceiver": "hook", "receivers": [
            {"name": "mail", "email": {"to": "sre+pager@example.com"}},
            {"name": "void"},
            {"name": "hook", "webhook": {"url": "https://hooks.example.com/a?b=c&d=%22e%22"}},
        ]},
        **overrides,
    }
    path = tmp_path / "odd-svc.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_email_blackhole_and_webhook_receivers_with_real_amtool(tmp_path: Path,
                                                                amtool: str) -> None:
    service = load_service(_spec(tmp_path), "odd-svc.yaml")
    config = _write_config(service, tmp_path)
    doc = yaml.safe_load(config.read_text())
    assert doc["global"] == {"smtp_smarthost": "localhost:25", "smtp_from": "alertmanager@localhost"}
    assert {"name": "odd-svc/void"} in doc["receivers"]  # blackhole: no integration
    proc = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for severity, receiver in (("page", "odd-svc/mail"), ("ticket", "odd-svc/void"),
                               ("info_x-y", "odd-svc/void"), ("info_x", "odd-svc/hook")):
        got = _route(amtool, config, {"service": "odd-svc", "severity": severity},
                     verify=receiver)
        assert got.returncode == 0, (severity, got.stdout + got.stderr)
    routes = doc["route"]["routes"][0]["routes"]
    assert routes[1]["matchers"] == ['severity=~"ticket|info_x-y"']
    assert doc["inhibit_rules"][0]["target_matchers"][-1] == 'tier="ticket"'


def test_matcher_values_are_quoted_and_escaped_for_amtool(tmp_path: Path, amtool: str) -> None:
    odd = 'we"ird\\va|ue.*'
    config = tmp_path / "odd.yml"
    config.write_text(yaml.safe_dump({
        "route": {"receiver": "default", "routes": [
            {"matchers": [alertmanager.eq("x", odd)], "receiver": "exact"},
            {"matchers": [alertmanager.one_of("y", [odd, "b"])], "receiver": "either"},
        ]},
        "receivers": [{"name": "default"}, {"name": "exact"}, {"name": "either"}],
    }))
    assert subprocess.run([amtool, "check-config", str(config)], capture_output=True,
                          text=True).returncode == 0
    assert alertmanager.eq("x", odd) == 'x="we\\"ird\\\\va|ue.*"'
    assert alertmanager.one_of("y", [odd, "b"]) == 'y=~"we\\"ird\\\\\\\\va\\\\|ue\\\\.\\\\*|b"'
    # amtool parses label=value on the command line itself, so check the matching with our
    # reading of the matcher (the same one the inhibition test uses) ...
    assert _matches(alertmanager.eq("x", odd), {"x": odd})
    assert _matches(alertmanager.one_of("y", [odd, "b"]), {"y": odd})
    assert not _matches(alertmanager.one_of("y", [odd, "b"]), {"y": "we\"ird\\vaXue.*"})
    # ... and with amtool, for values its command line can carry
    assert _route(amtool, config, {"y": "b"}, verify="either").returncode == 0
    assert _route(amtool, config, {"y": "bb"}, verify="default").returncode == 0


def test_no_oncall_means_no_alertmanager_files(tmp_path: Path) -> None:
    path = _spec(tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["oncall"]
    for cls in data["incidentClasses"]:
        del cls["receiver"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert alertmanager.build(load_service(path, "odd-svc.yaml"), Context()) == {}


def test_grouped_slo_tiers_mute_each_other_within_one_group_only(tmp_path: Path) -> None:
    """Per-label SLOs: a fast burn of handler a mutes the slower tier of handler a, never that of
    handler b (which burns on its own)."""
    path = _spec(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["slos"][0]["grouping"] = ["handler"]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    service = load_service(path, "odd-svc.yaml")
    rules = yaml.safe_load(alertmanager.build(service, Context())[
        cv.ALERTMANAGER_CONFIG_FILE])["inhibit_rules"]
    burn = {a.tier: {**dict(a.labels), "alertname": a.alert} for a in all_alerts(service)
            if a.kind == "slo-burn"}
    page_a = {**burn["page"], "handler": "a"}
    assert _inhibits(rules, page_a, {**burn["ticket"], "handler": "a"})
    assert not _inhibits(rules, page_a, {**burn["ticket"], "handler": "b"})
    assert not _inhibits(rules, {**burn["ticket"], "handler": "a"}, page_a)
