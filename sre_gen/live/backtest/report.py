"""A backtest as text (the terminal), ``summary.md`` (short enough for a PR comment) and
``index.html`` (self-contained: the PNGs are embedded as data: URIs, no script, no CDN).

Everything shown is derived from the replayed period: the same replay gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import math
import re
import time

from sre_gen.durations import format_duration, humanize_duration
from sre_gen.live.backtest.analyze import AlertResult, Result

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(at))


def dur(seconds: float) -> str:
    return humanize_duration(seconds) if seconds > 0 else "0s"


def md(text: str) -> str:
    """Spec text in Markdown: every character Markdown or HTML would interpret is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def rate(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:.1f}%"


def burn(value: float) -> str:
    return f"{value:.3g}x" if math.isfinite(value) else "n/a"


def alert_name(a: AlertResult) -> str:
    extra = [a.label(k) for k in ("slo", "tier") if a.label(k)]
    return a.alertname + (f" ({'/'.join(extra)})" if extra else "")


def headline(result: Result) -> str:
    days = (result.end - result.start) / 86400
    return (f"{result.service}: {when(result.start)} .. {when(result.end)} UTC "
            f"({days:.3g} days, evaluation every {format_duration(result.interval)})")


def text(result: Result) -> str:
    lines = [f"backtest {headline(result)}"]
    if not result.alerts:
        lines.append("no alert would have fired")
    for a in result.alerts:
        flag = "  OVER THRESHOLD" if a.over else ""
        lines.append(f"  {alert_name(a)} [{a.severity}{', pages' if a.pages else ''}]: "
                     f"fired {len(a.episodes)}x, total {dur(a.total_seconds)}, longest "
                     f"{dur(a.longest_seconds)}, {rate(a.per_week)}/week{flag}")
    for sev, paging, n, per_week in result.by_severity:
        lines.append(f"  severity {sev}: fired {n}x, {rate(per_week)}/week"
                     f"{' (pages)' if paging else ''}")
    for s in result.slos:
        if not s.has_data:
            lines.append(f"  SLO {s.name}: NO DATA (its inputs had no sample in the period)")
            continue
        worst = max(s.burns, key=lambda b: b.worst if math.isfinite(b.worst) else -1,
                    default=None)
        lines.append(f"  SLO {s.name} ({s.objective}%): budget spent {pct(s.budget_spent)}, "
                     f"error ratio {pct(s.error_ratio)}, data {pct(s.coverage)} of the period"
                     + (f", worst burn {burn(worst.worst)} over "
                        f"{format_duration(worst.window)}" if worst else ""))
        for d in s.detections:
            lines.append(f"    {d.tier} caught a burn from {when(d.burn_start)} after "
                         f"{dur(d.seconds)}")
    return "\n".join(lines) + "\n"


def summary_md(result: Result) -> str:
    out = [f"### sre-gen backtest: {md(result.service)}", "",
           f"{md(headline(result))}. Paging threshold: {rate(result.threshold)} pages/week "
           "per alert.", ""]
    flags = [f"- :warning: **{md(alert_name(a))}** would page {rate(a.per_week)} times a week"
             for a in result.noisy]
    flags += [f"- :warning: SLO **{md(s.name)}**: its inputs had no data in the period"
              for s in result.no_data]
    if flags:
        out += flags + [""]
    out += ["| Alert | Severity | Fired | Total | Longest | Per week |",
            "| --- | --- | ---: | ---: | ---: | ---: |"]
    for a in result.alerts:
        out.append(f"| {md(alert_name(a))} | {md(a.severity)}{' (pages)' if a.pages else ''} | "
                   f"{len(a.episodes)} | {dur(a.total_seconds)} | {dur(a.longest_seconds)} | "
                   f"{rate(a.per_week)}{' :warning:' if a.over else ''} |")
    if not result.alerts:
        out.append("| (none would have fired) | | | | | |")
    out += ["", "| SLO | Budget spent | Worst burn | Detections |", "| --- | ---: | --- | --- |"]
    for s in result.slos:
        if not s.has_data:
            out.append(f"| {md(s.name)} | no data | | |")
            continue
        worst = ", ".join(f"{burn(b.worst)} / {format_duration(b.window)}" for b in s.burns)
        det = ", ".join(f"{md(d.tier)} in {dur(d.seconds)}" for d in s.detections) or "none"
        out.append(f"| {md(s.name)} | {pct(s.budget_spent)} | {worst} | {det} |")
    return "\n".join(out) + "\n"


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        ".over{color:#b00;font-weight:bold}img{max-width:100%;display:block;margin:1em 0}")


def index_html(result: Result, images: dict[str, bytes]) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>sre-gen backtest: {e(result.service)}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>sre-gen backtest: {e(result.service)}</h1>",
             f"<p>{e(headline(result))}. Paging threshold: {e(rate(result.threshold))} "
             "pages/week per alert.</p>"]
    for a in result.noisy:
        parts.append(f'<p class="over">{e(alert_name(a))} would page {e(rate(a.per_week))} '
                     "times a week</p>")
    for s in result.no_data:
        parts.append(f'<p class="over">SLO {e(s.name)}: its inputs had no data in the period</p>')
    parts.append("<h2>Alerts</h2><table><tr><th>Alert</th><th>Severity</th><th>Fired</th>"
                 "<th>Total</th><th>Longest</th><th>Per week</th><th>Episodes (UTC)</th></tr>")
    for a in result.alerts:
        over = ' class="over"' if a.over else ""
        eps = "<br>".join(f"{when(ep.start)} .. {when(ep.end)}" for ep in a.episodes[:20])
        if len(a.episodes) > 20:
            eps += f"<br>... {len(a.episodes) - 20} more"
        parts.append(f"<tr><td>{e(alert_name(a))}</td><td>{e(a.severity)}"
                     f"{' (pages)' if a.pages else ''}</td><td>{len(a.episodes)}</td>"
                     f"<td>{dur(a.total_seconds)}</td><td>{dur(a.longest_seconds)}</td>"
                     f"<td{over}>{e(rate(a.per_week))}</td>"
                     f"<td>{eps}</td></tr>")
    parts.append("</table><h2>Pages per week by severity</h2><table><tr><th>Severity</th>"
                 "<th>Pages</th><th>Firing episodes</th><th>Per week</th></tr>")
    for sev, paging, n, per_week in result.by_severity:
        parts.append(f"<tr><td>{e(sev)}</td><td>{'yes' if paging else 'no'}</td><td>{n}</td>"
                     f"<td>{e(rate(per_week))}</td></tr>")
    parts.append("</table><h2>SLOs</h2>")
    from sre_gen.live.backtest.plots import file_stem

    for s in result.slos:
        parts.append(f"<h3>{e(s.name)} ({e(s.objective)}%, "
                     f"{e(format_duration(s.window))})</h3>")
        if not s.has_data:
            parts.append('<p class="over">No data: its inputs had no sample in the period.</p>')
            continue
        parts.append(f"<p>Budget spent: {pct(s.budget_spent)} (error ratio "
                     f"{pct(s.error_ratio)}; data for {pct(s.coverage)} of the period).</p>")
        parts.append("<table><tr><th>Tier</th><th>Factor</th><th>Window</th><th>Worst burn</th>"
                     "<th>At (UTC)</th></tr>")
        for b in s.burns:
            at = when(b.at) if math.isfinite(b.at) else ""
            parts.append(f"<tr><td>{e(b.tier)}</td><td>{b.factor:g}x</td>"
                         f"<td>{format_duration(b.window)}</td><td>{burn(b.worst)}</td>"
                         f"<td>{at}</td></tr>")
        parts.append("</table><table><tr><th>Tier</th><th>Burn from (UTC)</th>"
                     "<th>Fired (UTC)</th><th>Time to detect</th></tr>")
        for d in s.detections:
            parts.append(f"<tr><td>{e(d.tier)}</td><td>{when(d.burn_start)}</td>"
                         f"<td>{when(d.fired)}</td><td>{dur(d.seconds)}</td></tr>")
        parts.append("</table>")
        stem = file_stem(s.name)
        for kind, alt in (("budget", "error budget burn-down"),
                          ("burn", "burn rate per alert window and firing bands")):
            png = images.get(f"{stem}-{kind}.png")
            if png:
                data = base64.b64encode(png).decode("ascii")
                parts.append(f'<img alt="{e(s.name)}: {alt}" src="data:image/png;base64,'
                             f'{data}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
