#!/usr/bin/env bash
# Runs every check and test of rocketmq-migrate on a fresh machine (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
