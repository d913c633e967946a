"""Alert naming and extra labels/annotations: ``slos[].alerting.name|labels|annotations`` and
``errorBudgetPolicy.tiers[].labels|annotations`` (issue 16): what is rejected and why, and what
the burn-rate alerts carry (a tier's over an SLO's, user summary/description over the generated
ones, label values escaped for Prometheus' templates)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sre_gen.compile import rules
from sre_gen.spec import build, load, schema_check, semantic

TIERS = [{"name": "page", "burnRate": 14.4, "longWindow": "1h", "severity": "critical",
          "labels": {"routing_key": "team-a"}, "annotations": {"summary": "page: {{ $value }}"}},
         {"name": "ticket", "burnRate": 1, "longWindow": "3d", "severity": "warning"}]
BASE = {
    "apiVersion": "sre-gen/v1",
    "service": {"name": "checkout"},
    "errorBudgetPolicy": {"tiers": TIERS},
    "slos": [{
        "name": "availability", "objective": 99.9,
        "alerting": {"name": "CheckoutHighErrorRate",
                     "labels": {"category": "availability", "routing_key": "slo-level",
                                "note": "{{ not a template }}"},
                     "annotations": {"summary": "High error rate", "runbook": "https://x"}},
        "sli": {"ratio": {"errors": {"metric": "http_requests_total",
                                     "selector": {"code": {"regex": "5.."}}},
                          "total": {"metric": "http_requests_total"}}},
    }],
}


def problems(data: dict) -> list[str]:
    doc = load.load_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    found = [f"{load.format_path(p)}: {m}" for p, m, _ in schema_check.validate(doc.data)]
    found += [f"{p.path}: {p.message}" for p in semantic.check(doc) if not p.warning]
    return found


def burn_rules(data: dict) -> dict:
    doc = load.load_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    service = build.build(doc)
    return {r.tier: r for g in rules.alerting_groups(service) for r in g.rules
            if r.kind == "slo-burn"}


def test_the_base_spec_is_valid() -> None:
    assert problems(BASE) == []


def test_one_name_for_every_tier_and_the_labels_and_annotations_merge() -> None:
    burn = burn_rules(BASE)
    assert {r.alert for r in burn.values()} == {"CheckoutHighErrorRate"}
    page, ticket = burn["page"], burn["ticket"]
    assert page.label("routing_key") == "team-a"  # the tier's wins over the SLO's
    assert ticket.label("routing_key") == "slo-level"
    assert page.label("category") == ticket.label("category") == "availability"
    assert page.label("note") == '{{ "{{" }} not a template {{ "}}" }}'  # labels are literal
    assert page.annotation("summary") == "page: {{ $value }}"  # a template, as written
    assert ticket.annotation("summary") == "High error rate"
    assert page.annotation("runbook") == "https://x"
    assert page.annotation("description").startswith("checkout availability SLO")
    assert page.annotation("runbook_url").endswith("checkout-high-error-rate.md"
                                                   "#checkouthigherrorrate")


def test_without_the_new_fields_the_alerts_are_unchanged() -> None:
    data = copy.deepcopy(BASE)
    del data["slos"][0]["alerting"]
    for tier in data["errorBudgetPolicy"]["tiers"]:
        tier.pop("labels", None)
        tier.pop("annotations", None)
    burn = burn_rules(data)
    assert {r.alert for r in burn.values()} == {"CheckoutAvailabilityErrorBudgetBurn"}
    assert burn["page"].annotation("summary") == (
        "The checkout availability SLO is burning its error budget too fast (page).")
    assert set(dict(burn["page"].labels)) == {"severity", "service", "slo", "tier",
                                              "long_window", "short_window"}


def _with(path: tuple, value) -> dict:
    data = copy.deepcopy(BASE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("where", [("slos", 0, "alerting", "labels"),
                                   ("errorBudgetPolicy", "tiers", 0, "labels")])
@pytest.mark.parametrize("label, message", [
    ("severity", "label 'severity' is set by sre-gen itself"),
    ("tier", "label 'tier' is set by sre-gen itself"),
    ("sloth_id", "label 'sloth_id' is set by sre-gen itself"),
    ("__name__", "label names starting with __ are reserved"),
])
def test_reserved_label_names_are_rejected(where: tuple, label: str, message: str) -> None:
    found = problems(_with(where, {label: "x"}))
    path = load.format_path(where + (label,))
    assert any(p.startswith(f"{path}: {message}") for p in found), found


def test_invalid_label_names_are_rejected_by_the_schema() -> None:
    found = problems(_with(("slos", 0, "alerting", "labels"), {"bad-name": "x"}))
    assert any("slos[0].alerting.labels" in p and "label name" in p for p in found), found


@pytest.mark.parametrize("key", ["runbook_url", "dashboard_url"])
def test_link_annotations_cannot_be_replaced(key: str) -> None:
    found = problems(_with(("slos", 0, "alerting", "annotations"), {key: "https://x"}))
    assert any(p.startswith(f"slos[0].alerting.annotations.{key}: {key!r} is set by sre-gen")
               for p in found), found


def test_annotations_must_parse_as_templates() -> None:
    found = problems(_with(("errorBudgetPolicy", "tiers", 1, "annotations"),
                           {"summary": "{{ $value "}))
    assert any(p.startswith("errorBudgetPolicy.tiers[1].annotations.summary: invalid "
                            "Prometheus template") for p in found), found


def test_an_alert_name_belongs_to_one_slo() -> None:
    data = copy.deepcopy(BASE)
    second = copy.deepcopy(data["slos"][0])
    second["name"] = "latency"
    data["slos"].append(second)
    found = problems(data)
    assert any(p.startswith("slos[1].alerting.name: alert name 'CheckoutHighErrorRate' is "
                            "already the alert name of another SLO") for p in found), found
    data["slos"][1]["alerting"]["name"] = "CheckoutAvailabilityErrorBudgetExhausted"
    found = problems(data)
    assert any("is already the generated alert of SLO 'availability'" in p for p in found), found
    data["slos"][1]["alerting"]["name"] = "Custom"
    data["alerts"] = [{"alert": "Custom", "expr": "up == 0", "severity": "warning",
                       "summary": "s", "description": "d"}]
    found = problems(data)
    assert found == ["alerts[0].alert: 'Custom' is the name of a generated alert"], found


@pytest.mark.parametrize("name", ["9Bad", "has-dash", "with space"])
def test_alert_names_are_prometheus_names(name: str) -> None:
    found = problems(_with(("slos", 0, "alerting", "name"), name))
    assert any(p.startswith("slos[0].alerting.name") for p in found), found
