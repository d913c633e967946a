#!/usr/bin/env bash
# Set up a development environment: .venv with sre-gen and its test dependencies, plus the real
# promtool, prometheus, amtool and alertmanager (Debian's prometheus / prometheus-alertmanager),
# vmalert and victoria-metrics (victoria-metrics: vmalert -dryRun, sre-gen backtest), chromium (the
# backtest report test), openssl (lint's TLS test), node and npm (Grafana's published TypeScript
# types and tsc go to .cache/grafana-types; see below) when missing (the live tests start real
# servers on 127.0.0.1).
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
# node and npm: tests/compile/test_dashboards_types.py type-checks the dashboards with tsc
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "error: ${missing[*]} not installed (promtool/amtool, vmalert/victoria-metrics," \
         "chromium, node/npm) and no root/sudo to install them; install them with your package manager" \
         "and rerun" >&2
    exit 4
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: need ${missing[*]}; this is not a Debian/Ubuntu machine: install" \
         "Prometheus' promtool, Alertmanager's amtool, VictoriaMetrics' vmalert and" \
         "victoria-metrics, chromium and Node.js with npm, then rerun" >&2
    exit 4
  fi
  echo "installing ${missing[*]}..." >&2
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Grafana's published TypeScript types and the TypeScript compiler, for
# tests/compile/test_dashboards_types.py: @grafana/schema and typescript from the npm registry,
# and the type declarations of @grafana/prometheus (its PromQuery; `npm pack`, without its
# dependencies: the UI packages it needs at run time are not needed for its types).
GRAFANA_SCHEMA_VERSION=13.2.3
GRAFANA_PROMETHEUS_VERSION=13.2.3
TYPESCRIPT_VERSION=5.9.3
types_dir=.cache/grafana-types
types_stamp="$types_dir/.installed-schema-$GRAFANA_SCHEMA_VERSION-prometheus-$GRAFANA_PROMETHEUS_VERSION-typescript-$TYPESCRIPT_VERSION"
if [ ! -f "$types_stamp" ]; then
  echo "installing @grafana/schema $GRAFANA_SCHEMA_VERSION, @grafana/prometheus $GRAFANA_PROMETHEUS_VERSION (types) and typescript $TYPESCRIPT_VERSION into $types_dir..." >&2
  rm -rf "$types_dir"
  mkdir -p "$types_dir"
  if npm install --prefix "$types_dir" --no-audit --no-fund --loglevel=error \
       "@grafana/schema@$GRAFANA_SCHEMA_VERSION" "typescript@$TYPESCRIPT_VERSION" >/dev/null \
     && (cd "$types_dir" && npm pack --silent "@grafana/prometheus@$GRAFANA_PROMETHEUS_VERSION" >/dev/null) \
     && mkdir -p "$types_dir/node_modules/@grafana/prometheus" \
     && tar -xzf "$types_dir/grafana-prometheus-$GRAFANA_PROMETHEUS_VERSION.tgz" \
          -C "$types_dir/node_modules/@grafana/prometheus" --strip-components=1 package/dist/types; then
    rm -f "$types_dir/grafana-prometheus-$GRAFANA_PROMETHEUS_VERSION.tgz"
    touch "$types_stamp"
  else
    # only the dashboards' type-check test needs them (it fails, saying so): go on without
    echo "warning: could not install Grafana's types with npm; tests/compile/test_dashboards_types.py will fail until scripts/setup.sh can" >&2
  fi
fi
