"""Runbook pages: every alert's runbook_url resolves, goldens, real Markdown lint, escaping of
hostile spec text (checked on the rendered HTML), and the --templates override."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from pymarkdown.api import PyMarkdownApi
from typer.testing import CliRunner

from sre_gen import conventions as cv
from sre_gen import pipeline
from sre_gen.cli import app
from sre_gen.compile import markdown, postmortem, runbooks
from sre_gen.errors import SpecError
from sre_gen.output import write
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
LINT_CONFIG = ROOT / "tests" / "data" / "pymarkdown.json"
GOLDEN = ROOT / "tests" / "golden" / "runbooks"


def _md() -> MarkdownIt:
    """CommonMark with raw HTML enabled (as GitHub parses it) plus GFM tables/strike-through."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _generate(spec: Path, out: Path, templates: Path | None = None) -> Path:
    """Compile and write like `sre-gen generate`; returns the service folder."""
    (svc, files), = pipeline.render_all([spec], out, Context(templates=templates))
    write.write_service(out, svc.name, files)
    return out / svc.name


def _slugs(text: str) -> list[str]:
    """GitHub's heading anchors of a page: text of the rendered heading, lowercased, characters
    other than letters, digits, '_', '-' and spaces dropped, spaces to '-', repeats get -1, -2."""
    tokens = _md().parse(text)
    seen: dict[str, int] = {}
    out = []
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        inline = tokens[i + 1]
        plain = "".join(c.content for c in inline.children or () if c.type in ("text",
                                                                               "code_inline"))
        slug = re.sub(r"[^\w\- ]", "", plain.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.append(slug if n == 0 else f"{slug}-{n}")
    return out


def _alert_rules(folder: Path) -> list[dict]:
    """Every alerting rule in every generated rule file (plain files and the PrometheusRule)."""
    found = []
    for path in sorted((folder / cv.PROMETHEUS_DIR).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        groups = doc.get("groups") or (doc.get("spec") or {}).get("groups") or []
        for group in groups:
            found += [dict(r, _file=path.name) for r in group["rules"] if "alert" in r]
    return found


def _lint(files: dict[str, str]) -> list[str]:
    api = PyMarkdownApi().configuration_file_path(str(LINT_CONFIG))
    problems = []
    for rel, text in sorted(files.items()):
        result = api.scan_string(write.header_for(rel, "specs/x.yaml") + text)
        problems += [f"{rel}:{f.line_number}: {f.rule_id} {f.rule_description} "
                     f"{f.extra_error_information or ''}" for f in result.scan_failures]
    return problems


# ---- every alert's runbook_url resolves -------------------------------------------------------
def _check_runbook_urls(spec: Path, tmp_path: Path) -> int:
    service = load_service(spec, spec.name)
    folder = _generate(spec, tmp_path / "generated")
    base = service.runbook_base_url.rstrip("/") + "/"
    external = {a.runbook_url for a in service.custom_alerts if a.runbook_url}
    checked = 0
    for rule in _alert_rules(folder):
        url = rule["annotations"]["runbook_url"]
        if not url.startswith(base):
            assert url in external, f"{rule['alert']} in {rule['_file']}: {url} is not under {base}"
            continue
        page, _, anchor = url[len(base):].partition("#")
        path = folder / cv.RUNBOOKS_DIR / page
        assert path.is_file(), f"{rule['alert']}: {url} -> missing {path.relative_to(folder)}"
        assert anchor in _slugs(path.read_text()), f"{rule['alert']}: no heading #{anchor} in {page}"
        checked += 1
    return checked


def test_every_alert_runbook_url_resolves_to_a_generated_page_and_heading(tmp_path: Path) -> None:
    checked = _check_runbook_urls(EXAMPLE, tmp_path)
    assert checked >= 70  # every rule of every file: alerting-rules.yaml and prometheusrule.yaml


def test_runbook_urls_resolve_with_relative_base_and_external_runbooks(tmp_path: Path) -> None:
    spec = _hostile_spec(tmp_path, "benign text")
    assert _check_runbook_urls(spec, tmp_path) > 0
    service = load_service(spec, spec.name)
    assert service.runbook_base_url == "./runbooks"
    files = runbooks.build(service, Context())
    assert "runbooks/external-runbook.md" not in files  # it has its own runbookUrl
    index = files["runbooks/README.md"]
    assert "[ExternalRunbook](https://wiki.example.com/runbooks/external)" in index


def test_the_h1_of_every_page_is_its_alert_name(example_service) -> None:
    files = runbooks.build(example_service, Context())
    groups = runbooks.alerts_by_name(example_service)
    for name in groups:
        text = files[f"runbooks/{cv.runbook_file(name)}"]
        assert text.startswith(f"# {name}\n"), name
        assert text.count("\n# ") == 0  # exactly one H1
    chaos = len(example_service.chaos.experiments)  # chaos-<experiment>.md, tests/compile/test_chaos
    assert len(files) == len(groups) + 1 + chaos  # one page per alert name, and the index


# ---- goldens and lint -------------------------------------------------------------------------
def test_example_runbooks_match_golden(example_service, golden, request) -> None:
    files = runbooks.build(example_service, Context())
    names = sorted(Path(rel).name for rel in files)
    if request.config.getoption("--update-goldens") and GOLDEN.is_dir():
        for stale in GOLDEN.glob("*.md"):
            if stale.name not in names:
                stale.unlink()
    for rel, text in sorted(files.items()):
        golden(f"runbooks/{Path(rel).name}", text)
    assert sorted(p.name for p in GOLDEN.glob("*.md")) == names, "stale golden runbook files"


def test_example_runbooks_are_markdown_lint_clean(example_service) -> None:
    files = _pages(example_service)
    assert postmortem.FILE in files and _lint(files) == []


def test_lint_config_is_live() -> None:
    """The linter really runs with our config: a page with a real problem fails."""
    assert any("MD001" in p for p in _lint({"runbooks/x.md": "# A\n\n### Skipped level\n"}))
    assert _lint({"runbooks/x.md": "# A\n\n" + "word " * 100 + "end\n"}) == []  # no length limit


def test_index_lists_slos_with_budget_time_and_every_alert(example_service) -> None:
    index = runbooks.build(example_service, Context())["runbooks/README.md"]
    assert "| `availability` | 99.95% | 30d | 0.05%, 21.6 minutes per 30d |" in index
    for name in runbooks.alerts_by_name(example_service):
        assert f"[{name}]({cv.runbook_file(name)}#{cv.github_anchor(name)})" in index
    assert "## Incident response" in index and "incident-response" in _slugs(index)


def test_page_content_of_the_example(example_service) -> None:
    files = runbooks.build(example_service, Context())
    burn = files["runbooks/autogen-review-bot-availability-error-budget-burn.md"]
    for tier in ("## Tier fast", "## Tier moderate", "## Tier slow"):
        assert tier in burn
    assert "| Tier fast | `critical` | sev1 (Critical) | 15m | 30m | `pager-primary` (pagerduty) |" \
        in burn
    assert "- Halt new feature releases." in burn  # error-budget policy
    assert "slo:current_burn_rate:ratio{service=\"autogen-review-bot\",slo=\"availability\"}" \
        in burn
    assert "[SLO dashboard](https://grafana.example.com/d/autogen-review-bot-slo)" in burn
    assert "1. Primary on-call\n2. Secondary on-call\n3. Engineering manager" in burn
    cpu = files["runbooks/autogen-review-bot-cpu-saturation-high.md"]
    assert "## Runbook: High CPU utilization" in cpu
    assert "```sh\nkubectl top pods -n autogen-review-bot --sort-by=cpu\n```" in cpu
    assert "Note: The HPA takes over again" in cpu
    backup = files["runbooks/autogen-review-bot-database-backup-too-old.md"]
    assert "## Disaster recovery" in backup and "1. Activate automated failover." in backup
    assert "| critical-services | 15m |" in backup
    assert "## Disaster recovery" not in cpu


@pytest.mark.parametrize("window, objective, expected", [
    ("30d", "99.95", "21.6 minutes per 30d"),
    ("1d", "99.99", "8.64 seconds per 1d"),
    ("7d", "50", "3.5 days per 7d"),
    ("7d", "99", "1.68 hours per 7d"),
    ("30d", "99.9", "43.2 minutes per 30d"),
    ("1d", "99.9", "1.44 minutes per 1d"),
    ("1h", "99.99", "0.36 seconds per 1h"),
    ("1d", "95.8333", "1 hour per 1d"),
])
def test_budget_time(window: str, objective: str, expected: str) -> None:
    from decimal import Decimal

    from sre_gen.durations import parse_duration
    from sre_gen.model import SLO, GaugeSLI

    slo = SLO("x", "", Decimal(objective), parse_duration(window),
              GaugeSLI("up", "<", Decimal(1)), (), None)
    assert runbooks.budget_time(slo) == expected


# ---- escaping ---------------------------------------------------------------------------------
HOSTILE = ("Evil <script>alert(1)</script> | pipe *bold* _em_ `tick` ``two`` "
           "[x](javascript:alert(1)) ![i](http://x/i.png) &lt;b&gt; &#58; ~~strike~~ \\ back"
           "\n# not a heading\n- not a list\n\n1. not ordered <img src=x onerror=alert(1)> "
           "<!-- comment --> http://example.com/auto")
HOSTILE_COMMAND = "echo '```' && echo \"</code></pre><script>x</script>\"\n```\nrm -rf / # no"


def _hostile_spec(tmp_path: Path, text: str, command: str = "kubectl get pods") -> Path:
    """A small spec with ``text`` in every free-text field that reaches the runbooks."""
    spec = {
        "apiVersion": "sre-gen/v1",
        "service": {"name": "hostile-svc", "team": "t", "description": text},
        "errorBudgetPolicy": {
            "tiers": [
                {"name": "fast", "burnRate": 14.4, "longWindow": "1h", "shortWindow": "5m",
                 "severity": "critical"},
                {"name": "slow", "burnRate": 3, "longWindow": "1d", "shortWindow": "2h",
                 "severity": "warning"},
            ],
            "actions": {"budgetExhausted": [text, "Stop."], "budgetHealthy": [text]},
        },
        "slos": [{
            "name": "availability", "description": text, "objective": 99.9, "window": "30d",
            "runbook": "rb",
            "sli": {"ratio": {"errors": {"metric": "http_requests_total",
                                         "selector": {"code": {"regex": "5.."}}},
                              "total": {"metric": "http_requests_total"}}},
        }],
        "goldenSignals": {"saturation": [{
            "name": "cpu", "description": text, "query": "sum(rate(cpu_seconds_total[5m]))",
            "unit": "percentunit", "warning": 0.7, "critical": 0.9, "runbook": "rb"}]},
        "alerts": [
            {"alert": "CustomThing", "expr": "up == 0", "severity": "warning", "summary": text,
             "description": text, "runbook": "rb"},
            {"alert": "ExternalRunbook", "expr": "up == 0", "severity": "warning",
             "summary": "s.", "runbookUrl": "https://wiki.example.com/runbooks/external"},
        ],
        "disasterRecovery": {
            "rto": {"critical-services": "15m"},
            "backups": [{"data": "database", "rpo": "5m", "frequency": text, "retention": text,
                         "lastSuccess": {"metric": "backup_last_success_timestamp_seconds"},
                         "severity": "critical"}],
            "procedures": [text],
        },
        "incidentClasses": [
            {"name": "sev1", "title": text, "description": text, "responseTime": "15m",
             "escalationTime": "30m", "severities": ["critical"], "receiver": "pager"},
            {"name": "sev3", "title": "Low", "description": text, "responseTime": "1d",
             "escalationTime": "3d", "severities": ["warning"], "receiver": "mail",
             "businessHoursOnly": True},
        ],
        "oncall": {
            "escalation": [text, "Manager"],
            "rotation": {"primary": text},
            "defaultReceiver": "mail",
            "receivers": [
                {"name": "pager", "description": text,
                 "pagerduty": {"routingKeyFile": "/etc/am/pd-key"}},
                {"name": "mail", "description": text, "email": {"to": "sre@example.com"}},
                {"name": "void", "description": "blackhole"},
            ],
        },
        "runbooks": [{"name": "rb", "title": text, "description": text,
                      "steps": [{"title": text, "command": command, "note": text},
                                {"title": "Second"}]}],
        "incidentResponse": {"detection": [text]},
        "postmortem": {"culture": [text]},
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "hostile-svc.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return path


def _pages(service) -> dict[str, str]:
    """The runbook pages, the index and the postmortem template."""
    return {**runbooks.build(service, Context()), **postmortem.build(service, Context())}


def _structure(html_text: str) -> dict[str, int]:
    tags = ("<h1", "<h2", "<h3", "<li", "<tr", "<td", "<pre", "<table", "<a ", "<ol", "<ul",
            "<code", "<p>")
    return {t: html_text.count(t) for t in tags}


def test_hostile_spec_text_cannot_change_the_page_or_inject_html(tmp_path: Path) -> None:
    benign = _pages(load_service(_hostile_spec(tmp_path / "a", "benign text"), "a.yaml"))
    hostile = _pages(load_service(_hostile_spec(tmp_path / "h", HOSTILE, HOSTILE_COMMAND),
                                  "h.yaml"))
    assert sorted(benign) == sorted(hostile) and postmortem.FILE in hostile
    collapsed = " ".join(HOSTILE.split())
    for rel in sorted(hostile):
        page = _md().render(hostile[rel])
        # same headings, lists, table cells, code blocks and links as with harmless text
        assert _structure(page) == _structure(_md().render(benign[rel])), rel
        lowered, harmless = page.lower(), _md().render(benign[rel]).lower()
        for bad in ("<script", "<img", 'href="javascript', "<em>", "<strong>", "<s>", "<del>",
                    "<!--"):  # none, or only the template's own (the postmortem's blanks)
            assert lowered.count(bad) == harmless.count(bad), (rel, bad)
            assert bad not in lowered or rel == postmortem.FILE and bad == "<em>", (rel, bad)
        # ... and the text reads exactly as the spec wrote it (newlines become spaces), as
        # often as the harmless text does: no table cell or list item cut it short
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
        plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", _md().render(benign[rel]))).split())
        assert text.count(collapsed) == plain.count("benign text") > 0, rel
    page = _md().render(hostile["runbooks/hostile-svc-availability-error-budget-burn.md"])
    blocks = re.findall(r'<pre><code class="language-sh">(.*?)</code></pre>', page, re.S)
    assert [html.unescape(b) for b in blocks] == [HOSTILE_COMMAND + "\n"]  # verbatim, one block


def test_hostile_pages_are_lint_clean(tmp_path: Path) -> None:
    files = _pages(load_service(
        _hostile_spec(tmp_path, HOSTILE.replace(" http://example.com/auto", ""), HOSTILE_COMMAND),
        "h.yaml"))
    assert postmortem.FILE in files and _lint(files) == []


@pytest.mark.parametrize("value, expected", [
    ("a*b_c`d|e[f](g)", r"a\*b\_c\`d\|e\[f\](g)"),
    ("<b>&amp;", "&lt;b&gt;&amp;amp;"),
    ("# h", r"\# h"),
    ("- item", r"\- item"),
    ("+ item", r"\+ item"),
    ("12. item", r"12\. item"),
    ("99.95%", "99.95%"),
    ("line\nbreak\ttab", "line break tab"),
    ("trailing \\", "trailing \\\\"),
    ("nul\x00bell\x07", "nulbell"),
])
def test_text_escaping(value: str, expected: str) -> None:
    assert markdown.text(value) == expected


def test_code_span_and_fence_outlast_backticks() -> None:
    assert markdown.code("a `b` c") == "``a `b` c``"
    assert markdown.code("`x`") == "`` `x` ``"
    assert markdown.code("a|b", cell=True) == "`a\\|b`"
    assert markdown.fence("x ``` y\n````", "sh") == "`````sh\nx ``` y\n````\n`````"
    assert markdown.fence("plain", "promql;<x>") == "```promqlx\nplain\n```"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)",
                                 "data:text/html,<script>", " vbscript:x", "java\tscript:x"])
def test_links_never_use_unsafe_schemes(url: str) -> None:
    out = markdown.link(url, "label")
    assert "](" not in out
    assert 'href="' not in _md().render(out)


def test_links_percent_encode_and_keep_entities_literal() -> None:
    assert markdown.link("https://x.example/a b(c)|d", "l") == \
        "[l](https://x.example/a%20b%28c%29%7Cd)"
    out = markdown.link("javascript&#58;alert(1)", "l")  # entities decode in destinations
    href = re.search(r'href="([^"]*)"', _md().render(out)).group(1)
    assert html.unescape(href) == "javascript&#58;alert%281%29"  # a relative path, no scheme
    assert markdown.link("README.md#incident-response", "x") == "[x](README.md#incident-response)"


# ---- packaged templates and --templates -------------------------------------------------------
def test_templates_ship_in_the_package() -> None:
    packaged = resources.files("sre_gen.templates")
    for name in (runbooks.RUNBOOK_TEMPLATE, runbooks.INDEX_TEMPLATE):
        assert packaged.joinpath(name).is_file(), name
        assert packaged.joinpath(name).read_text() == (ROOT / "templates" / name).read_text()
    # pyproject's package-data globs cover them (the wheel test checks the built wheel)
    data = (ROOT / "pyproject.toml").read_text()
    assert '"sre_gen.templates" = ["*.j2", "*/*.j2", "*.md"]' in data


def test_jinja2_is_not_imported_at_module_level() -> None:
    import subprocess
    import sys

    code = ("import sys, sre_gen.compile.runbooks, sre_gen.compile.markdown, "
            "sre_gen.compile.alertmanager; print('jinja2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def _copy_templates(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in (runbooks.RUNBOOK_TEMPLATE, runbooks.INDEX_TEMPLATE):
        shutil.copy(ROOT / "templates" / name, dest / name)
    return dest


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_templates_override_changes_the_output(tmp_path: Path) -> None:
    tpl = _copy_templates(tmp_path / "my-templates")
    page = tpl / runbooks.RUNBOOK_TEMPLATE
    page.write_text(page.read_text().replace("## Meaning\n", "## Meaning\n\nOur team's note.\n"))
    (tpl / runbooks.INDEX_TEMPLATE).unlink()  # missing ones come from the package
    out = tmp_path / "out"
    result = _cli("generate", str(EXAMPLE), "--out", str(out), "--templates", str(tpl))
    assert result.exit_code == 0, result.stderr
    folder = out / "autogen-review-bot" / "runbooks"
    pages = [p for p in folder.glob("*.md")
             if p.name not in ("README.md", cv.POSTMORTEM_TEMPLATE_FILE)
             and not p.name.startswith("chaos-")]  # chaos.md.j2
    assert pages and all("\n## Meaning\n\nOur team's note.\n" in p.read_text() for p in pages)
    assert "# Runbooks of autogen-review-bot" in (folder / "README.md").read_text()
    default = tmp_path / "default"
    assert _cli("generate", str(EXAMPLE), "--out", str(default)).exit_code == 0
    assert "Our team's note." not in \
        (default / "autogen-review-bot/runbooks/high-error-rate.md").read_text()


@pytest.mark.parametrize("broken, message", [
    ("# {% endif %}", "Encountered unknown tag 'endif'"),
    ("# {{ alert.name }", "unexpected '}'"),
    ("# {{ alert.nmae }}", "'dict object' has no attribute 'nmae'"),
    ("# {{ alert.name | no_such_filter }}", "No filter named 'no_such_filter'"),
    ("# {{ 1 // 0 }}", "ZeroDivisionError"),
])
def test_broken_template_gives_file_and_line_exit_3_and_writes_nothing(
        tmp_path: Path, broken: str, message: str) -> None:
    tpl = _copy_templates(tmp_path / "tpl")
    page = tpl / runbooks.RUNBOOK_TEMPLATE
    lines = page.read_text().split("\n")
    assert lines[9] == "# {{ alert.name }}"  # line 10
    lines[9] = broken
    line = 10
    page.write_text("\n".join(lines))
    out = tmp_path / "out"
    result = _cli("generate", str(EXAMPLE), "--out", str(out), "--templates", str(tpl))
    assert result.exit_code == 3, result.stdout + result.stderr
    assert f"{tpl.as_posix()}/runbook.md.j2:{line}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()  # nothing written


def test_packaged_template_failure_is_an_internal_error(monkeypatch, example_service) -> None:
    """A bug in a packaged template is sre-gen's bug (exit 123), not the user's input."""
    monkeypatch.setattr(runbooks, "RUNBOOK_TEMPLATE", "no-such-template.md.j2")
    with pytest.raises(Exception) as info:
        runbooks.build(example_service, Context())
    assert not isinstance(info.value, SpecError)
    assert "no-such-template.md.j2" in str(info.value)


def test_colliding_page_names_are_a_spec_error(tmp_path: Path) -> None:
    spec = _hostile_spec(tmp_path, "x")
    data = yaml.safe_load(spec.read_text())
    data["alerts"] += [{"alert": name, "expr": "up == 0", "severity": "warning", "summary": "s."}
                       for name in ("CPUHigh", "CpuHigh")]
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError) as info:
        runbooks.build(load_service(spec, "s.yaml"), Context())
    assert "'CpuHigh' would get the runbook page runbooks/cpu-high.md" in str(info.value)


@pytest.mark.parametrize("windows", [("30d", "7d", "1d"), ("7d",), ("1d", "90d")])
def test_index_names_the_retention_the_longest_slo_window_needs(example_service, windows) -> None:
    """Issue 11 item 4: Prometheus' retention must exceed the longest SLO window plus margin."""
    from sre_gen.durations import parse_duration

    slos = tuple(dataclasses.replace(slo, window=parse_duration(w))
                 for slo, w in zip(example_service.slos, windows))
    service = dataclasses.replace(example_service, slos=slos)
    index = runbooks.build(service, Context())["runbooks/README.md"]
    longest = max(windows, key=parse_duration)
    text = " ".join(index.split())
    assert ("`--storage.tsdb.retention.time` (default 15d) must exceed the longest SLO window "
            f"({longest}) plus margin") in text
