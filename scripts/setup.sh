#!/usr/bin/env bash
# Set up a development environment: .venv with sre-gen and its test dependencies, plus the real
# promtool, prometheus, amtool and alertmanager (Debian's prometheus / prometheus-alertmanager),
# vmalert and victoria-metrics (victoria-metrics: sre-gen backtest) and chromium (the backtest
# report test) when missing (the live tests start real servers on 127.0.0.1).
# Idempotent: safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c 'import sre_gen, pytest, hypothesis, kubernetes_validate' 2>/dev/null \
   || [ pyproject.toml -nt .venv/.sre-gen-installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch .venv/.sre-gen-installed
fi

# promtool + the prometheus server (live tests), amtool + the alertmanager server (live tests)
missing=()
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  missing+=(prometheus)
fi
if ! command -v amtool >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then
  missing+=(prometheus-alertmanager)
fi
# vmalert + victoria-metrics (vmalert -dryRun loads every generated rule file in the tests;
# sre-gen backtest replays the rules with both), chromium (the
# backtest test opens its HTML report headless)
if ! command -v vmalert >/dev/null 2>&1 || ! command -v victoria-metrics >/dev/null 2>&1; then
  missing+=(victoria-metrics)
fi
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# openssl: the TLS test of sre-gen lint makes a self-signed certificate with it
if ! command -v openssl >/dev/null 2>&1; then
  missing+=(openssl)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "error: ${missing[*]} not installed (promtool/amtool, vmalert/victoria-metrics," \
         "chromium) and no root/sudo to install them; install them with your package manager" \
         "and rerun" >&2
    exit 4
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: need ${missing[*]}; this is not a Debian/Ubuntu machine: install" \
         "Prometheus' promtool, Alertmanager's amtool, VictoriaMetrics' vmalert and" \
         "victoria-metrics, and chromium, then rerun" >&2
    exit 4
  fi
  echo "installing ${missing[*]}..." >&2
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
