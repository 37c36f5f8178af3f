#!/usr/bin/env bash
# Size and start-up time of an onboard binary (docs/benchmarks.md, "Release binary").
#   benches/startup.sh [BINARY] [RUNS]     default: target/release/onboard, 200 runs
# Start-up: the wall time of RUNS runs of `--version` (argument parsing only) and of
# `validate playbooks/quickstart.yaml` (load, check and plan offline; no network), one after
# another; the best of 3 rounds, per run. hyperfine is used instead when it is on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/onboard}
runs=${2:-200}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 1; }
bytes=$(stat -c %s "$bin")
echo "binary: $bin"
echo "size: $bytes bytes ($(awk "BEGIN { printf \"%.1f\", $bytes / 1048576 }") MiB)"
"$bin" --version

time_runs() {
  local best=
  for _ in 1 2 3; do
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" > /dev/null 2>&1; done
    end=$(date +%s%N)
    local per=$(( (end - start) / runs / 1000 ))
    if [ -z "$best" ] || [ "$per" -lt "$best" ]; then best=$per; fi
  done
  echo "$best"
}

if command -v hyperfine > /dev/null; then
  hyperfine -N --warmup 10 --runs "$runs" "$bin --version" "$bin validate playbooks/quickstart.yaml"
else
  echo "--version: $(time_runs "$bin" --version) µs per run (best of 3 × $runs)"
  echo "validate playbooks/quickstart.yaml: $(time_runs "$bin" validate playbooks/quickstart.yaml) µs per run (best of 3 × $runs)"
fi
