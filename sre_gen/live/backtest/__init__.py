"""``sre-gen backtest``: replay the generated rules over a live Prometheus's history.

replay.py runs vmalert -replay into a temporary victoria-metrics (the engine and its limits are
described there), analyze.py turns the replayed series into per-alert and per-SLO results,
report.py writes them as text, summary.md and index.html, plots.py draws the PNGs (the only
module that imports matplotlib).
"""
