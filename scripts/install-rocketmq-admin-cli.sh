#!/usr/bin/env bash
# Installs rocketmq-admin-cli 1.0.0 (an mqadmin equivalent, from the crate registry) into the same
# cache as the servers, for the snapshot benchmark's comparison. Not needed by the tests.
set -euo pipefail
root="${ROCKETMQ_SERVERS_ROOT:-$HOME/.cache/rocketmq-migrate/rocketmq-rust-1.0.0}"
if [[ -x "$root/bin/rocketmq-admin-cli" ]]; then
  echo "$root/bin"
  exit 0
fi
# One of its dependencies generates bindings with libclang.
if ! ls /usr/lib/llvm-*/lib/libclang*.so >/dev/null 2>&1; then
  echo "installing libclang (Debian package libclang-dev) for the build" >&2
  apt-get update -qq >&2 && apt-get install -y -qq libclang-dev >&2
fi
echo "installing rocketmq-admin-cli 1.0.0 into $root (once)" >&2
cargo install --locked --root "$root" rocketmq-admin-cli@1.0.0 >&2
echo "$root/bin"
