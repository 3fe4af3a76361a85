#!/usr/bin/env bash
# Runs every check and test of rocketmq-migrate on a fresh machine (CI runs exactly this).
# The RocketMQ servers the integration tests start are installed once into ~/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
# The terminal tests drive the wizard in tmux.
if ! command -v tmux >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq tmux
fi
ROCKETMQ_SERVERS_BIN="$(scripts/install-rocketmq-servers.sh)"
export ROCKETMQ_SERVERS_BIN
# Tests stop their servers themselves; this catches any a crashed test runner left behind.
trap 'pkill -f "$ROCKETMQ_SERVERS_BIN/rocketmq-" 2>/dev/null || true' EXIT
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
