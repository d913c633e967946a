#!/usr/bin/env bash
# README command 1: set up, then compile every specs/*.yaml into generated/ and prove the
# generated alerts with the real promtool.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/sre-gen generate
.venv/bin/sre-gen test
