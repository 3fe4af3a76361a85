#!/usr/bin/env bash
# Installs the RocketMQ NameServer and broker used by the integration tests (the rocketmq-rust
# 1.0.0 servers, from the crate registry) once into a cache; later runs reuse it.
set -euo pipefail
root="${ROCKETMQ_SERVERS_ROOT:-$HOME/.cache/rocketmq-migrate/rocketmq-rust-1.0.0}"
if [[ -x "$root/bin/rocketmq-namesrv-rust" && -x "$root/bin/rocketmq-broker-rust" ]]; then
  echo "$root/bin"
  exit 0
fi
mkdir -p "$root"
echo "installing rocketmq-namesrv and rocketmq-broker 1.0.0 into $root (once; about 12 minutes on two cores)" >&2
cargo install --locked --root "$root" rocketmq-namesrv@1.0.0 rocketmq-broker@1.0.0 >&2
echo "$root/bin"
