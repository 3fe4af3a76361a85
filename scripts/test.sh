#!/usr/bin/env bash
# Runs every check and test of rocketmq-migrate on a fresh machine (CI runs exactly this).
# The RocketMQ servers the integration tests start are installed once into ~/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
# The terminal tests drive the wizard in tmux.
if ! command -v tmux >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq tmux
fi
# The HTML report is opened in a real headless browser (tests/report.rs).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
ROCKETMQ_SERVERS_BIN="$(scripts/install-rocketmq-servers.sh)"
export ROCKETMQ_SERVERS_BIN
# Tests stop their servers themselves; this catches any a crashed test runner left behind.
trap 'pkill -f "$ROCKETMQ_SERVERS_BIN/rocketmq-" 2>/dev/null || true; rm -rf /dev/shm/rocketmq-migrate-test-*' EXIT
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The stand-in applications (examples/mq_app.rs) the integration tests start.
cargo build --locked --examples
mkdir -p target
# The tests' brokers refuse to start on a disk over 90% used (tests/support/servers.rs keeps
# their stores in /dev/shm where it has room): the log shows what there was.
df -h /dev/shm "${TMPDIR:-/tmp}" target || true
cargo test --locked 2>&1 | tee target/test-output.log
awk '/^test result:/ { passed += $4; failed += $6 } END { print passed " passed, " failed " failed" }' target/test-output.log
