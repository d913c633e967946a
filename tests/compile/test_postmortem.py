"""Issue 18 item 5: the postmortem template (runbooks/postmortem-template.md): pre-filled with
every SLO, incident class and escalation step of the spec, the seed's review timeline and
components, linked from the runbook index; golden, Markdown lint, deadlines checked in the spec,
the --templates override. (Escaping of hostile spec text: tests/compile/test_runbooks.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pymarkdown.api import PyMarkdownApi
from typer.testing import CliRunner

from sre_gen import conventions as cv
from sre_gen.cli import app
from sre_gen.compile import markdown, postmortem, runbooks
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.errors import SpecError
from sre_gen.output import write
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
MINIMAL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"
LINT_CONFIG = ROOT / "tests" / "data" / "pymarkdown.json"
SECTIONS = ("## Review timeline", "## Summary", "## Impact", "## Incident timeline",
            "## Root cause analysis", "## Contributing factors", "## Lessons learned",
            "## Action items")  # the seed's components, in its order


def _page(service) -> str:
    return postmortem.build(service, Context())[postmortem.FILE]


def _lint(text: str) -> list[str]:
    api = PyMarkdownApi().configuration_file_path(str(LINT_CONFIG))
    result = api.scan_string(write.header_for(postmortem.FILE, "specs/x.yaml") + text)
    return [f"{f.line_number}: {f.rule_id} {f.rule_description}" for f in result.scan_failures]


def _lists_every_slo(service, page: str) -> None:
    for slo in service.slos:
        assert (f"| {markdown.code(slo.name, cell=True)} | {num(slo.objective_percent)}% | "
                f"{format_duration(slo.window)} | ") in page, slo.name
        query = (f'slo:period_error_budget_remaining:ratio{{service="{service.name}",'
                 f'slo="{slo.name}"}}')
        assert markdown.code(query, cell=True) in page


@pytest.mark.parametrize("spec", [EXAMPLE, MINIMAL], ids=["example", "minimal"])
def test_the_page_has_the_seeds_components_and_every_slo(spec: Path) -> None:
    service = load_service(spec, spec.name)
    page = _page(service)
    assert page.startswith(f"# Postmortem: {service.name} incident\n")
    positions = [page.index(f"\n{s}\n") for s in SECTIONS]
    assert positions == sorted(positions)
    _lists_every_slo(service, page)
    assert _lint(page) == []


def test_the_example_page_lists_incident_classes_escalation_phases_and_policy(
        example_service) -> None:
    page = _page(example_service)
    assert len(example_service.incident_classes) == 4
    for c in example_service.incident_classes:
        hours = " (business hours)" if c.business_hours_only else ""
        assert (f"| {c.name} | {c.title} | {humanize_duration(c.response_time)}{hours} | "
                f"{humanize_duration(c.escalation_time)}{hours} | `{c.receiver}` | "
                f"{c.description} |") in page
    assert "| Incident class | sev1 / sev2 / sev3 / sev4 |" in page
    for i, who in enumerate(example_service.oncall.escalation, 1):
        assert f"\n{i}. {who}: _paged at" in page
    for phase, steps in example_service.incident_procedures:
        assert f"| _HH:MM_ | {phase.capitalize()}: _what happened_ |" in page
        for step in steps:
            assert f"- [ ] {step}\n" in page
    for action in example_service.policy.budget_exhausted_actions:
        assert f"- {action}\n" in page
    for principle in example_service.postmortem.culture:
        assert f"- {principle}\n" in page
    # the seed's timeline: 24h, 1 week, 2 weeks, 1 month (the example writes 30d)
    for row in ("| Initial report | 24 hours of the resolution |",
                "| Detailed analysis | 7 days of the resolution |",
                "| Action items, each with an owner | 14 days of the resolution |",
                "| Follow-up review of the action items | 30 days of the resolution |"):
        assert row in page
    assert "(https://grafana.example.com/d/autogen-review-bot-slo)" in page


def test_a_minimal_spec_gets_the_seeds_deadlines_and_no_empty_sections() -> None:
    service = load_service(MINIMAL, "m.yaml")
    assert not service.incident_classes and service.oncall is None
    page = _page(service)
    assert "| Initial report | 24 hours of the resolution |" in page
    assert "due within 14 days of the resolution" in page
    for absent in ("## Incident class", "### Escalation", "### Response review",
                   "This review is:", "error-budget policy applies"):
        assert absent not in page
    assert "| Incident class | _class_ |" in page


def test_the_runbook_index_links_the_template_with_its_deadlines(example_service) -> None:
    index = runbooks.build(example_service, Context())[f"{cv.RUNBOOKS_DIR}/README.md"]
    assert f"[postmortem template]({cv.POSTMORTEM_TEMPLATE_FILE})" in index
    assert "## Post-incident review" in index
    assert "1. Initial report: within 24 hours\n" in index
    assert "4. Follow-up review of the action items: within 30 days\n" in index
    assert postmortem.FILE == f"{cv.RUNBOOKS_DIR}/{cv.POSTMORTEM_TEMPLATE_FILE}"


def test_the_checked_in_page_is_generated(example_service) -> None:
    on_disk = (ROOT / "generated" / example_service.name / postmortem.FILE).read_text()
    assert on_disk.endswith(_page(example_service))


def test_example_postmortem_matches_golden(example_service, golden) -> None:
    golden("postmortem/autogen-review-bot.md", _page(example_service))


def _spec_with(tmp_path: Path, postmortem_section: dict) -> Path:
    data = yaml.safe_load(MINIMAL.read_text())
    data["postmortem"] = postmortem_section
    path = tmp_path / "pm.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("deadlines, where, expected", [
    ({"initialReport": "2d", "detailedAnalysis": "1d"}, "detailedAnalysis",
     "the detailed analysis (detailedAnalysis: 1d) would be due before the initial report "
     "(initialReport: 2d)"),
    ({"detailedAnalysis": "12h"}, "detailedAnalysis",
     "(detailedAnalysis: 12h) would be due before the initial report (initialReport: 24h, "
     "the default)"),
    ({"actionItems": "60d"}, "actionItems",
     "the follow-up review (followUpReview: 30d, the default) would be due before the action "
     "items (actionItems: 60d)"),
    ({"actionItems": "60d", "followUpReview": "40d"}, "followUpReview",
     "the follow-up review (followUpReview: 40d) would be due before the action items "
     "(actionItems: 60d)"),
])
def test_deadlines_out_of_order_are_an_error_at_their_line(tmp_path, deadlines, where,
                                                           expected) -> None:
    spec = _spec_with(tmp_path, {"deadlines": deadlines})
    with pytest.raises(SpecError) as info:
        load_service(spec, "pm.yaml")
    [problem] = info.value.problems
    assert problem.path == f"postmortem.deadlines.{where}"
    assert expected in problem.message and "non-decreasing" in problem.message
    line = next(i for i, text in enumerate(spec.read_text().splitlines(), 1)
                if text.strip().startswith(f"{where}:"))
    assert problem.line == line and problem.column > 1
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 3
    assert f"pm.yaml:{line}:" in result.stderr


def test_bad_postmortem_fields_are_rejected_by_the_schema(tmp_path) -> None:
    for section in ({"deadlines": {"initialReport": "soon"}}, {"deadline": {}},
                    {"culture": [""]}):
        with pytest.raises(SpecError):
            load_service(_spec_with(tmp_path, section), "pm.yaml")


def test_custom_deadlines_and_culture(tmp_path) -> None:
    spec = _spec_with(tmp_path, {"deadlines": {"initialReport": "36h", "detailedAnalysis": "3d",
                                               "actionItems": "3d", "followUpReview": "6w"},
                                 "culture": ["Blameless"]})
    page = _page(load_service(spec, "pm.yaml"))
    assert "| Initial report | 36 hours of the resolution |" in page
    assert "| Detailed analysis | 3 days of the resolution |" in page
    assert "| Follow-up review of the action items | 42 days of the resolution |" in page
    assert "This review is:\n\n- Blameless\n" in page


def test_an_alert_cannot_take_the_templates_file_name(tmp_path) -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    data["alerts"] = [{"alert": "PostmortemTemplate", "expr": "up == 0", "severity": "warning",
                       "summary": "s."}]
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError, match="postmortem template"):
        runbooks.build(load_service(path, "clash.yaml"), Context())


def test_templates_folder_overrides_the_postmortem_template(tmp_path, example_service) -> None:
    (tmp_path / "postmortem.md.j2").write_text("# PM {{ service.name }}\n\n"
                                               "{% for s in slos %}- {{ s.name }}\n{% endfor %}")
    page = postmortem.build(example_service, Context(templates=tmp_path))[postmortem.FILE]
    assert page.startswith("# PM autogen-review-bot\n\n- availability\n")
