"""Command-line interface: a thin adapter over ``sre_gen.pipeline``.

One error handler (``sre_gen.actions.run``, via ``_run``) maps the exception hierarchy to exit codes:
0 ok, 1 check/test failure, 2 usage, 3 invalid spec or template, 4 environment, 123 internal error.
Heavy modules (jinja2, grafanalib, jsonschema) are imported only by the commands that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sre_gen import errors

app = typer.Typer(
    name="sre-gen",
    help=(
        "Compile one declarative SRE spec per service (specs/*.yaml) into Prometheus rules, "
        "promtool tests, Grafana dashboards, Kubernetes HPA manifests, runbooks and "
        "Alertmanager routing.\n\n"
        "Exit codes: 0 ok, 1 check or test failed, 2 usage, 3 invalid spec or template, "
        "4 environment (tool missing, output not writable), 123 internal error."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}

SpecArgs = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="SPEC...",
        help="Spec files. Default: every specs/*.yaml in the current directory.",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path,
    typer.Option("--out", "-o", help="Output folder; each service gets <out>/<service>/."),
]
TemplatesOption = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        help="Folder of jinja2 templates overriding the packaged ones (runbooks).",
        exists=True,
        file_okay=False,
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"sre-gen {version('sre-gen')}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    _state["debug"] = debug or bool(os.environ.get("SRE_GEN_DEBUG"))


def _run(action: Callable[[], int | None]) -> None:
    """The one error handler (sre_gen.actions.run) turned into typer's exit."""
    from sre_gen import actions

    raise typer.Exit(actions.run(action, debug=_state["debug"]))


FormatOption = Annotated[
    str,
    typer.Option("--format", metavar="text|github|json",
                 help="text: file:line:col lines; github: GitHub Actions ::error/::warning "
                      "annotations; json: one JSON document on standard output."),
]

# ---- the options of the commands that ask a live Prometheus (lint, backtest, budget) ----------
PrometheusOption = Annotated[
    str | None,
    typer.Option("--prometheus", metavar="URL", envvar="SRE_GEN_PROMETHEUS_URL",
                 show_default=False,
                 help="Prometheus (or a compatible API) base URL, e.g. http://localhost:9090 "
                      "(default $SRE_GEN_PROMETHEUS_URL). Credentials come from the environment "
                      "only: SRE_GEN_PROMETHEUS_TOKEN or _TOKEN_FILE (bearer), "
                      "SRE_GEN_PROMETHEUS_USER and _PASSWORD (basic auth)."),
]
CaFileOption = Annotated[
    str | None,
    typer.Option("--ca-file", metavar="PEM", show_default=False,
                 help="CA bundle to verify an https:// Prometheus with (default "
                      "$SRE_GEN_PROMETHEUS_CA_FILE)."),
]
InsecureOption = Annotated[
    bool, typer.Option("--insecure-skip-verify", help="Do not verify the TLS certificate.")
]


def _use_format(fmt: str) -> None:
    from sre_gen import report

    if fmt not in report.FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(report.FORMATS)}",
                                 param_hint="'--format'")
    report.current = report.Reporter(fmt)


@app.command()
def validate(specs: SpecArgs = None, fmt: FormatOption = "text") -> None:
    """Check specs against the schema and the semantic rules; print every problem as
    file:line:col: field.path: message (or --format github|json). Exit 0 when valid, 3 when
    not, 2 when no spec is found."""

    from sre_gen import actions

    _use_format(fmt)
    _run(lambda: actions.validate(specs))


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Print the spec's JSON Schema (draft 2020-12). Point editors at it with a first line
    `# yaml-language-server: $schema=<path>`. Exit 0, or 4 when the output file cannot be
    written."""

    def action() -> None:
        from importlib import resources

        text = resources.files("sre_gen.schema").joinpath("spec-v1.schema.json").read_text()
        if output is None:
            sys.stdout.write(text)
        else:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise errors.EnvironmentProblem(f"cannot write {output}: {exc.strerror}") from None

    _run(action)


CompileJobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, show_default=False,
                 help="Processes that compile in parallel (default: $SRE_GEN_JOBS, else the "
                      "number of CPUs; the output is the same for any value)."),
]


@app.command()
def generate(
    specs: SpecArgs = None,
    out: OutOption = Path("generated"),
    templates: TemplatesOption = None,
    jobs: CompileJobsOption = None,
) -> None:
    """Compile specs into <out>/<service>/ (rules, dashboards, manifests, runbooks, routing; the
    proofs with settings.writePromtoolTests). All specs are validated before anything is
    written; each service folder is replaced atomically, files no longer produced are removed,
    files sre-gen does not own are kept, and a folder already up to date is left alone.
    Exit 0 when written, 3 when a spec is invalid, 4 when the output is not writable."""

    from sre_gen import actions

    _run(lambda: actions.generate(specs, out, templates, jobs))


@app.command()
def check(
    specs: SpecArgs = None,
    out: OutOption = Path("generated"),
    templates: TemplatesOption = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show a unified diff of changes.")] = False,
    fmt: FormatOption = "text",
    jobs: CompileJobsOption = None,
) -> None:
    """Regenerate in memory and compare with <out>/. Exit 0 when up to date, 1 with the list of
    changed, missing and stale files (the CI and pre-commit gate), 3 when a spec is
    invalid."""

    from sre_gen import actions

    _use_format(fmt)
    _run(lambda: actions.check(specs, out, templates, diff, jobs))


@app.command()
def test(
    specs: SpecArgs = None,
    out: OutOption = Path("generated"),
    promtool: Annotated[
        str | None,
        typer.Option("--promtool", metavar="PATH", show_default=False,
                     help="promtool binary (default: $PROMTOOL, else promtool on PATH)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS",
                            help="Longest one promtool run may take.")
    ] = 300.0,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, show_default=False,
                     help="promtool runs in parallel (default: the number of CPUs)."),
    ] = None,
    keep: Annotated[
        Path | None,
        typer.Option("--keep", metavar="DIR", show_default=False,
                     help="Write the generated proofs (tests/) and the rules each reads "
                          "(rules/) to this new folder and keep them, to read or rerun one "
                          "with `promtool test rules DIR/<service>/tests/<file>`."),
    ] = None,
) -> None:
    """Prove the checked-in rules in <out>/ with promtool (run `sre-gen generate` first): `check
    rules` on the rule files; `test rules` on the proofs of every alert, generated in a temporary
    folder (or prometheus/tests/*.yaml with settings.writePromtoolTests), and on the spec's own
    tests in <spec dir>/<spec name>.tests/*.yaml (their rule_files are pointed at the generated
    rules). Exit 0 when all pass, 1 on a failure or out-of-date output, 4 when promtool is
    missing or a run exceeds --timeout."""

    def action() -> int:
        from sre_gen.commands import test as test_command

        return test_command.run(specs, out, promtool=promtool, timeout=timeout, jobs=jobs,
                                keep=keep, echo=typer.echo)

    _run(action)


@app.command()
def backtest(
    specs: SpecArgs = None,
    prometheus: PrometheusOption = "http://localhost:9090",
    since: Annotated[
        str, typer.Option("--since", metavar="DURATION", help="How far back to replay.")
    ] = "30d",
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="TIME", show_default=False,
                     help="End of the period: RFC3339 (2026-01-31T00:00:00Z) or a Unix time "
                          "(default: now)."),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", metavar="DIR", show_default=False,
                     help="Write index.html (self-contained), summary.md and PNG plots here "
                          "(needs matplotlib: pip install 'sre-gen[report]')."),
    ] = None,
    max_pages: Annotated[
        float, typer.Option("--max-pages-per-week", metavar="N",
                            help="Flag (and exit 1 for) an alert that pages more often.")
    ] = 2.0,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS",
                            help="Longest one replay run (and one Prometheus request) may take.")
    ] = 1800.0,
    ca_file: CaFileOption = None,
    insecure: InsecureOption = False,
) -> None:
    """Replay the generated recording and alerting rules over the history of a live Prometheus
    with vmalert -replay (Debian package victoria-metrics; sre-gen starts a temporary
    victoria-metrics on 127.0.0.1 for the replayed series and stops it again), then report per
    alert how often and how long it would have fired and how many pages a week it makes, and
    per SLO the budget spent, the worst burns and the time each caught burn took to detect.
    Exit 0 when done, 1 when an alert would page more than --max-pages-per-week, 2 for bad
    options, 3 for an invalid spec, 4 when Prometheus is unreachable or vmalert /
    victoria-metrics are not installed."""

    def action() -> int:
        from sre_gen.commands import backtest as backtest_command

        return backtest_command.run(specs, prometheus, since, until, report_dir, max_pages,
                                    timeout, ca_file, insecure, echo=typer.echo)

    _run(action)


@app.command(name="import")
def import_(
    kind: Annotated[str, typer.Argument(metavar="sloth|openslo",
                                        help="The format of the files.", show_default=False)],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", show_default=False,
                                                help="Files to import (multi-document YAML "
                                                     "too).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the specs written, one "
                                                        "<service>.yaml per service.")] =
    Path("specs"),
    force: Annotated[bool, typer.Option("--force", help="Replace specs that exist.")] = False,
    sloth_rules: Annotated[
        list[Path] | None,
        typer.Option("--sloth-rules", metavar="FILE", show_default=False,
                     help="Rules Sloth generated for these SLOs (sloth generate output): the "
                          "queries of SLI plugins are read back from them."),
    ] = None,
) -> None:
    """Translate Sloth (prometheus/v1, PrometheusServiceLevel) or OpenSLO (v1: Service, SLO,
    SLI, AlertPolicy, AlertCondition) files into commented sre-gen specs. What cannot be mapped
    is listed in the spec and on standard error as file:line:col: path: not imported: why.
    Exit 0 when imported, 2 when a spec exists (use --force), 3 when a file is not a
    document of that kind or nothing in them can be imported, 4 when the output cannot be
    written."""

    def action() -> int:
        from sre_gen.commands import import_ as import_command

        return import_command.run(kind, files, out, force, echo=typer.echo,
                                  sloth_rules=sloth_rules or [])

    _run(action)


@app.command()
def lint(
    specs: SpecArgs = None,
    prometheus: PrometheusOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Longest one request may take.")
    ] = 10.0,
    ca_file: CaFileOption = None,
    insecure: InsecureOption = False,
    max_series: Annotated[
        int, typer.Option("--max-series", metavar="N",
                          help="Most series one selector may match (cardinality).")
    ] = 1000,
    stale_after: Annotated[
        str, typer.Option("--stale-after", metavar="DURATION",
                          help="A selector whose newest sample is older is stale.")
    ] = "5m",
    lookback: Annotated[
        str, typer.Option("--lookback", metavar="DURATION",
                          help="How far back a series counts as existing.")
    ] = "1d",
    fmt: FormatOption = "text",
) -> None:
    """Check every selector and query of the specs against a live Prometheus: metrics that do
    not exist, label names the metric never carries, label values and regexes that match
    nothing, latency thresholds without a histogram bucket, rate() of a gauge or a gauge SLI on
    a counter (from the targets' metadata), stale series and selectors over --max-series.
    Problems are printed as file:line:col: field.path: message (or --format github|json).
    Exit 0 when clean (warnings allowed), 1 on a problem, 2 for bad options, 3 when a spec is
    invalid, 4 when Prometheus cannot be reached or answers with an error."""

    def action() -> int:
        from sre_gen.commands import lint as lint_command

        return lint_command.run(specs, prometheus, timeout=timeout, ca_file=ca_file,
                                insecure=insecure, max_series=max_series,
                                stale_after=stale_after, lookback=lookback)

    _use_format(fmt)
    _run(action)


@app.command()
def budget(
    specs: SpecArgs = None,
    prometheus: PrometheusOption = None,
    min_remaining: Annotated[
        str | None,
        typer.Option("--min-remaining", metavar="PERCENT", show_default=False,
                     help="Also fail when less than this share of a budget is left (25% or "
                          "25), e.g. before a chaos experiment."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Longest one request may take.")
    ] = 10.0,
    ca_file: CaFileOption = None,
    insecure: InsecureOption = False,
    fmt: FormatOption = "text",
) -> None:
    """The error-budget gate: print each SLO's budget remaining over its window, its burn rates
    (over the burn tiers' long windows) and the error-budget-policy action that applies, read
    from the series the generated rules record. Exit 0 when no budget is exhausted, 1 when one
    is (halt_new_features: CI blocks feature deploys) or is below --min-remaining, 2 usage, 3
    invalid spec, 4 when Prometheus cannot be reached. An SLO without data is reported unknown
    and flagged, but does not fail the gate."""

    def action() -> int:
        from sre_gen.commands import budget as budget_command

        return budget_command.run(specs, prometheus, timeout=timeout, ca_file=ca_file,
                                  insecure=insecure, min_remaining=min_remaining)

    _use_format(fmt)
    _run(action)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
