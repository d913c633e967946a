"""sre-gen's catalogue of Sloth's published SLI plugins (``sre_gen.importers.sloth_plugins``):
the query of Sloth's own example plugin is exactly what Sloth generated for it; every catalogued
plugin imports into a spec that validates and generates rules promtool accepts; option values are
validated and quoted, never pasted into PromQL; a refused option is reported at its line and the
SLO skipped; an unknown plugin keeps the --sloth-rules advice."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sre_gen import promql
from sre_gen.cli import app
from sre_gen.importers import sloth_plugins
from sre_gen.importers.sloth import _plugin_queries
from sre_gen.importers.source import read
from sre_gen.spec import load_service

DATA = Path(__file__).resolve().parents[1] / "data" / "importers" / "sloth"

# representative options per plugin (the required ones, and a filter where it takes one)
OPTIONS: dict[str, dict[str, str]] = {
    "getting_started_availability": {"job": "myservice", "filter": 'f1="v1",f2="v2"'},
    "sloth-common/coredns/availability": {"filter": 'job="coredns"',
                                          "custom_rcode_regex": "(SERVFAIL|REFUSED)"},
    "sloth-common/coredns/latency": {"filter": 'job="coredns"', "bucket": "0.25"},
    "sloth-common/haproxy/frontend/availability": {"filter": 'proxy="www"'},
    "sloth-common/istio/v1/availability": {"service": "reviews", "namespace": "shop"},
    "sloth-common/istio/v1/latency": {"service": "reviews", "namespace": "shop",
                                      "bucket": "300", "exclude_errors": "true"},
    "sloth-common/kubernetes/apiserver/availability": {"filter": 'job="apiserver"'},
    "sloth-common/kubernetes/apiserver/latency": {"bucket": "0.4"},
    "sloth-common/kubernetes/kooper/availability": {"controller": "backups"},
    "sloth-common/kubernetes/kooper/latency": {"controller": "backups", "bucket": "1"},
    "sloth-common/kubernetes/kooper/queue-congestion": {"controller": "backups",
                                                        "bucket": "0.5"},
    "sloth-common/kubernetes/nginx-ingress/availability": {"filter": 'ingress="shop"'},
    "sloth-common/noop": {},
    "sloth-common/prometheus/rules/eval-availability": {"filter": 'job=~"prom.*"'},
    "sloth-common/prometheus/targets/availability": {"filter": 'job="node"'},
    "sloth-common/slok-go-http-metrics/availability": {"filter": 'service="api"'},
    "sloth-common/slok-go-http-metrics/latency": {"filter": 'service="api"', "bucket": "0.5",
                                                  "exclude_errors": "true"},
    "sloth-common/traefik/v1/availability": {"backend_regex": "^shop-.*"},
    "sloth-common/traefik/v1/latency": {"backend_regex": "^shop-.*", "bucket": "0.3"},
    "sloth-common/traefik/v2/availability": {"service_name_regex": "shop@.*"},
    "sloth-common/traefik/v2/latency": {"service_name_regex": "shop@.*", "bucket": "0.3",
                                        "filter": 'entrypoint="web"'},
}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _sloth(slos: list[dict], labels: dict | None = None) -> str:
    return yaml.safe_dump({"version": "prometheus/v1", "service": "plugins",
                           "labels": labels or {"owner": "team", "tier": "1"},
                           "slos": slos}, sort_keys=False)


def _slo(name: str, plugin_id: str, options: dict | None) -> dict:
    plugin: dict = {"id": plugin_id}
    if options is not None:
        plugin["options"] = options
    return {"name": name, "objective": 99.5, "sli": {"plugin": plugin}}


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_every_catalogued_plugin_has_a_case_here() -> None:
    assert set(OPTIONS) == set(sloth_plugins.CATALOGUE)
    assert "sloth-common/fake" not in sloth_plugins.CATALOGUE


def test_getting_started_query_is_what_sloth_generated() -> None:
    """Sloth's own output for its example (examples/_gen/plugin-getting-started.yml) holds the
    plugin's query at every raw window, in parentheses: the catalogue gives the same text."""
    ((_key, (generated, _where)),) = _plugin_queries(
        read(DATA / "_gen" / "plugin-getting-started.yml")).items()
    plugin = sloth_plugins.CATALOGUE["getting_started_availability"]
    ours = sloth_plugins.query(plugin, OPTIONS[plugin.id], {"owner": "x", "tier": "2"})
    assert _norm("(" + ours.replace("{{.window}}", "{{window}}") + ")") == _norm(generated)


@pytest.mark.parametrize("plugin_id", sorted(OPTIONS))
def test_each_query_parses_and_keeps_its_option_values(plugin_id: str) -> None:
    plugin = sloth_plugins.CATALOGUE[plugin_id]
    text = sloth_plugins.query(plugin, OPTIONS[plugin_id], {"owner": "x", "tier": "1"})
    assert "{{.window}}" in text and not re.search(r"\{\{\s*\.(?!window)", text)
    promql.parse(promql.render_window(text, 300))
    for name, value in OPTIONS[plugin_id].items():
        if name not in ("filter", "exclude_errors"):
            assert promql.quote(value)[1:-1] in text, (name, text)
    if OPTIONS[plugin_id].get("exclude_errors") == "true":
        assert 'code!~"5.."' in text


def test_option_values_are_quoted_or_refused() -> None:
    plugin = sloth_plugins.CATALOGUE["getting_started_availability"]
    labels = {"owner": "x", "tier": "1"}
    evil = 'x"} or vector(1) or up{a="'
    text = sloth_plugins.query(plugin, {"job": evil}, labels)
    sels = [s for s in promql.vector_selectors(promql.parse(promql.render_window(text, 300)))]
    assert {m.value for s in sels for m in s.matchers.matchers if m.name == "job"} == {evil}
    assert len(sels) == 2  # no selector added by the value
    refused = [
        (plugin, {"job": "a", "filter": 'a="b"} or vector(1) or up{c="d"'}, "filter"),
        (plugin, {"job": "a", "filter": 'a=~"b"'}, "filter"),  # its Go code takes name="value"
        (plugin, {"filter": 'a="b"'}, "job"),
        (plugin, {"job": "a", "fitler": 'a="b"'}, "fitler"),
        (sloth_plugins.CATALOGUE["sloth-common/traefik/v1/availability"],
         {"backend_regex": "(unclosed"}, "backend_regex"),
        (sloth_plugins.CATALOGUE["sloth-common/coredns/latency"], {"bucket": "1s"}, "bucket"),
        (sloth_plugins.CATALOGUE["sloth-common/traefik/v1/latency"],
         {"backend_regex": "a", "bucket": "1", "exclude_errors": "yes"}, "exclude_errors"),
        (sloth_plugins.CATALOGUE["sloth-common/coredns/availability"],
         {"filter": 'job="a\\q"'}, "filter"),
    ]
    for p, options, option in refused:
        with pytest.raises(sloth_plugins.PluginError) as exc:
            sloth_plugins.query(p, options, labels)
        assert exc.value.option == option, (options, str(exc.value))
    with pytest.raises(sloth_plugins.PluginError, match="requires the SLO label 'tier'"):
        sloth_plugins.query(plugin, {"job": "a"}, {"owner": "x"})
    # a regex option keeps its backslashes as PromQL escapes: the regex is the one written
    traefik = sloth_plugins.CATALOGUE["sloth-common/traefik/v2/availability"]
    text = sloth_plugins.query(traefik, {"service_name_regex": r"shop\.v[0-9]+"}, labels)
    (sel, _) = promql.vector_selectors(promql.parse(promql.render_window(text, 60)))
    assert {m.value for m in sel.matchers.matchers if m.name == "service"} == {r"shop\.v[0-9]+"}


def test_refused_options_are_listed_at_their_line_and_the_slo_skipped(tmp_path: Path) -> None:
    src = tmp_path / "bad.yml"
    src.write_text(_sloth([
        _slo("ok", "sloth-common/kubernetes/apiserver/availability", {"filter": 'job="a"'}),
        _slo("typo", "sloth-common/kubernetes/apiserver/availability", {"fitler": 'job="a"'}),
        _slo("missing", "sloth-common/traefik/v1/availability", None),
        _slo("unknown", "acme/my-plugin", {"x": "y"}),
    ]))
    result = invoke("import", "sloth", src.as_posix(), "--out", (tmp_path / "out").as_posix())
    assert result.exit_code == 0, result.output
    lines = src.read_text().splitlines()
    typo_line = next(i for i, ln in enumerate(lines, 1) if "fitler" in ln)
    assert (f"{src.as_posix()}:{typo_line}:9: slos[1].sli.plugin.options.fitler: not imported: "
            "SLI plugin 'sloth-common/kubernetes/apiserver/availability': plugin "
            "'sloth-common/kubernetes/apiserver/availability' has no option 'fitler' (its "
            "options: filter): SLO skipped") in result.stderr
    assert ("slos[2].sli.plugin: not imported: SLI plugin 'sloth-common/traefik/v1/availability'"
            ": plugin 'sloth-common/traefik/v1/availability' requires option 'backend_regex'"
            ) in result.stderr
    assert ("slos[3].sli.plugin: not imported: SLI plugin 'acme/my-plugin' is Go code sre-gen "
            "does not run: SLO skipped; pass the rules Sloth generated for it with --sloth-rules"
            ) in result.stderr
    (slo,) = load_service(tmp_path / "out" / "plugins.yaml").slos
    assert slo.name == "ok"


@pytest.mark.slow
def test_every_plugin_imports_validates_and_generates_rules_promtool_accepts(
        tmp_path: Path, promtool: str) -> None:
    src = tmp_path / "all.yml"
    src.write_text(_sloth([_slo(f"p{i}", pid, options or None)
                           for i, (pid, options) in enumerate(sorted(OPTIONS.items()))]))
    result = invoke("import", "sloth", src.as_posix(), "--out", (tmp_path / "specs").as_posix())
    assert result.exit_code == 0, result.output
    assert "not imported: SLI plugin" not in result.stderr
    spec = tmp_path / "specs" / "plugins.yaml"
    service = load_service(spec)
    assert len(service.slos) == len(OPTIONS)
    text = spec.read_text()
    for plugin in sloth_plugins.CATALOGUE.values():
        assert plugin.source in text  # every SLO says where its query comes from
    out = tmp_path / "generated"
    assert invoke("validate", spec.as_posix()).exit_code == 0
    assert invoke("generate", spec.as_posix(), "--out", out.as_posix()).exit_code == 0
    rule_files = sorted((out / "plugins" / "prometheus").glob("*-rules.yaml"))
    assert len(rule_files) == 2
    check = subprocess.run([promtool, "check", "rules", *map(str, rule_files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
@pytest.mark.parametrize("plugin_id", ["sloth-common/kubernetes/kooper/availability",
                                       "sloth-common/traefik/v2/latency"])
def test_plugin_slos_pass_sre_gen_test_without_untested_alerts(plugin_id: str,
                                                               tmp_path: Path) -> None:
    src = tmp_path / "one.yml"
    src.write_text(_sloth([_slo("one", plugin_id, OPTIONS[plugin_id])]))
    assert invoke("import", "sloth", src.as_posix(), "--out",
                  (tmp_path / "specs").as_posix()).exit_code == 0
    spec = (tmp_path / "specs" / "plugins.yaml").as_posix()
    out = (tmp_path / "generated").as_posix()
    assert invoke("generate", spec, "--out", out).exit_code == 0
    run = invoke("test", spec, "--out", out)
    assert run.exit_code == 0, run.output
    assert "untested" not in run.output and " 0 failed" in run.stdout
