#!/usr/bin/env bash
# Starts the Cell Broadcast Centre double for the demo server when nothing answers on the port (logs in var/).
set -euo pipefail
port="${1:-8090}"
cd "$(dirname "$0")/../.."
mkdir -p var
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  nohup .venv/bin/python -m tools.dev.cbc_sim --host 127.0.0.1 --port "$port" > var/cbc_sim.log 2>&1 &
  echo "CBC simulator started on 127.0.0.1:$port (log: var/cbc_sim.log)"
fi
