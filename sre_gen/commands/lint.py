"""``sre-gen lint --prometheus URL [SPEC...]``: the spec's selectors against a live Prometheus.

Exit 0 when every selector, label, value and bucket exists (warnings may be printed), 1 when a
problem is found, 2 for bad options, 3 for an invalid spec, 4 when Prometheus cannot be asked
(unreachable, timeout, TLS, HTTP 401/403/5xx).
"""

from __future__ import annotations

from pathlib import Path

from sre_gen import errors

MAX_LOOKBACK = 3650 * 86400


def run(specs: list[Path] | None, url: str | None, *, timeout: float, ca_file: str | None,
        insecure: bool, max_series: int, stale_after: str, lookback: str) -> int:
    from sre_gen import pipeline, report
    from sre_gen.durations import DurationError, parse_duration
    from sre_gen.live import checks, client, lint

    if not url:
        raise errors.UsageError("no Prometheus to ask: pass --prometheus URL or set "
                                "SRE_GEN_PROMETHEUS_URL")
    if not 0 < timeout <= 3600:
        raise errors.UsageError(f"--timeout {timeout:g}: expected seconds in (0, 3600]")
    if max_series < 1:
        raise errors.UsageError(f"--max-series {max_series}: expected a positive number")
    durations = {}
    for option, text in (("--stale-after", stale_after), ("--lookback", lookback)):
        try:
            durations[option] = parse_duration(text)
        except DurationError as exc:
            raise errors.UsageError(f"{option}: {exc}") from None
        if durations[option] > MAX_LOOKBACK:
            raise errors.UsageError(f"{option} {text}: at most 3650d")
    api = client.Prometheus(url, timeout=timeout, ca_file=ca_file, insecure=insecure)
    services = pipeline.load_services(pipeline.discover(specs))  # invalid: exit 3, not asked
    version = api.buildinfo().get("version", "?")  # unreachable: exit 4 before any question
    checker = checks.Checker(api, lookback=durations["--lookback"],
                             stale_after=durations["--stale-after"], max_series=max_series)
    problems = lint.lint_services(checker, services)
    for problem in problems:
        report.current.problem(problem)
    failed = [p for p in problems if not p.warning]
    warned = len(problems) - len(failed)
    extra = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
    where = f"Prometheus {version} at {api.url}"
    if failed:
        report.current.say(f"lint: {len(failed)} problem{'s' if len(failed) != 1 else ''}"
                           f"{extra} in {len(services)} service(s) against {where}", err=True)
        return errors.EXIT_FAILED
    report.current.say(f"lint: ok: {len(services)} service(s) against {where}{extra}")
    return 0
