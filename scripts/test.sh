#!/usr/bin/env bash
# README command 2: set up (venv, promtool, amtool) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
