"""``sre-gen backtest``: how noisy would the generated alerts have been over the last --since?

For every service: compile its recording and alerting rules in memory (the same compiler as
``sre-gen generate``, so the spec as it stands in the working tree is tested, not an older
checked-in copy), replay them over the user's Prometheus history with vmalert -replay
(``sre_gen.live.backtest.replay``), analyse the replayed ALERTS and SLO series
(``...analyze``), print a summary, and with ``--report DIR`` write ``summary.md``,
``index.html`` and the PNG plots (``...report``, ``...plots``; matplotlib).

Exit 0 when done; 1 when an alert that pages would have paged more than
``--max-pages-per-week`` times a week; 2 for bad options; 3 for an invalid spec; 4 when
Prometheus cannot be reached or vmalert/victoria-metrics are not installed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sre_gen import errors
from sre_gen.durations import DurationError, parse_duration

Echo = Callable[..., None]


def parse_until(text: str | None, now: float) -> float:
    """``--until``: RFC3339 (``2026-01-31T00:00:00Z``), a Unix time, or empty for now."""
    if not text:
        return now
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.UsageError(f"--until {errors.shown(text)}: expected an RFC3339 time such as "
                                "2026-01-31T00:00:00Z or a Unix time in seconds") from None
    if parsed.tzinfo is None:
        raise errors.UsageError(f"--until {errors.shown(text)}: give a time zone (Z for UTC)")
    return parsed.timestamp()


def _lcm(values: list[int]) -> int:
    out = 1
    for v in values:
        out = out * v // math.gcd(out, v)
    return out


def rule_groups(service) -> list[dict]:
    from sre_gen.compile import rules
    from sre_gen.compile.rulebase import group_dict

    return [group_dict(g) for g in rules.recording_groups(service) + rules.alerting_groups(service)]


def run(specs: list[Path] | None, prometheus: str, since: str, until: str | None,
        report_dir: Path | None, max_pages: float, timeout: float, ca_file: str | None,
        insecure: bool, echo: Echo, stream: TextIO | None = None) -> int:
    from sre_gen import pipeline
    from sre_gen.live.backtest import analyze, replay
    from sre_gen.live.client import Prometheus

    try:
        period = parse_duration(since)
    except DurationError as exc:
        raise errors.UsageError(f"--since: {exc}") from None
    if not (0 < timeout <= 86400):
        raise errors.UsageError(f"--timeout {timeout:g}: expected seconds in (0, 86400]")
    if max_pages < 0:
        raise errors.UsageError(f"--max-pages-per-week {max_pages:g}: expected 0 or more")
    end_at = parse_until(until, time.time())
    services = pipeline.load_services(pipeline.discover(specs))
    for name in ("vmalert", "victoria-metrics"):
        replay.tool(name)
    source = Prometheus(prometheus, timeout=min(timeout, 300), ca_file=ca_file,
                        insecure=insecure)
    source.buildinfo()  # unreachable: exit 4 before anything starts
    noisy = False
    for service in services:
        groups = rule_groups(service)
        interval = _lcm([parse_duration(g["interval"]) for g in groups] or [60])
        end = math.floor(end_at / interval) * interval
        start = math.ceil((end - period) / interval) * interval

        every = {r["alert"]: parse_duration(g["interval"]) for g in groups for r in g["rules"]
                 if "alert" in r}

        def then(done, service=service, start=start, end=end, interval=interval, every=every):
            return done, analyze.analyze(service, done.store, start, end, interval, max_pages,
                                         every)

        done, result = replay.replay(groups, source, start, end, interval, stream=stream,
                                     timeout=timeout, then=then)
        from sre_gen.live.backtest import report

        echo(report.text(result), nl=False)
        echo(f"replayed {done.layers} rule layers in {done.seconds:.1f} s: copied "
             f"{done.samples_copied} input samples ({len(done.inputs)} selectors), wrote "
             f"{done.samples_written} samples", err=True)
        if report_dir is not None:
            target = report_dir if len(services) == 1 else report_dir / service.name
            written = write_report(target, result, service)
            echo(f"wrote {', '.join(written)} to {target.as_posix()}/", err=True)
        noisy = noisy or bool(result.noisy)
    if noisy:
        echo(f"an alert would have paged more than {max_pages:g} times a week", err=True)
        return errors.EXIT_FAILED
    return 0


def write_report(target: Path, result, service) -> list[str]:
    from sre_gen.live.backtest import report

    try:
        from sre_gen.live.backtest import plots
    except ImportError:
        raise errors.EnvironmentProblem(
            "--report needs matplotlib: pip install 'sre-gen[report]'") from None
    try:
        images = plots.plots(result, service)
    except ImportError:
        raise errors.EnvironmentProblem(
            "--report needs matplotlib: pip install 'sre-gen[report]'") from None
    files = {"summary.md": report.summary_md(result).encode(),
             "index.html": report.index_html(result, images).encode(), **images}
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            tmp = target / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(target / name)
    except OSError as exc:
        raise errors.EnvironmentProblem(f"cannot write the report to {target}: "
                                        f"{exc.strerror}") from None
    return sorted(files)
