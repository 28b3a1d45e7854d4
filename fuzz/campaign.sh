#!/usr/bin/env bash
# Fuzzes one target for a given amount of CPU time (not wall time: the run is niced and may
# share the machine), then appends its figures to fuzz/CAMPAIGN.md.
#
#   fuzz/campaign.sh TARGET [CPU_SECONDS=3600] [CORPUS_ROOT=/var/tmp/drydock-fuzz]
#
# Needs the fuzz binaries built as fuzz/README.md shows (stable toolchain, libFuzzer flags).
# One libFuzzer process per target; run two targets at once to use two cores.
set -euo pipefail
target=${1:?usage: fuzz/campaign.sh TARGET [CPU_SECONDS] [CORPUS_ROOT]}
budget=${2:-3600}
root=${3:-/var/tmp/drydock-fuzz}
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/target/x86_64-unknown-linux-gnu/release/$target
[ -x "$bin" ] || { echo "no fuzz binary $bin: build it as fuzz/README.md shows" >&2; exit 2; }
corpus=$root/corpus/$target
artifacts=$root/artifacts/$target/
log=$root/$target.log
mkdir -p "$corpus" "$artifacts"
ticks=$(getconf CLK_TCK)
started=$(date -u +%FT%TZ)
# The commit the binaries were built from is not recorded by them: the checkout at the start.
commit=$(git -C "$here" rev-parse --short HEAD)

nice -n 19 "$bin" "$corpus" "$here/seeds/$target" -rss_limit_mb=1024 -timeout=60 \
  -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1 &
pid=$!
cpu=0
while kill -0 "$pid" 2>/dev/null; do
  # utime + stime of the one fuzzing process, in seconds.
  if read -r -a f < "/proc/$pid/stat" 2>/dev/null; then
    cpu=$(( (f[13] + f[14]) / ticks ))
  fi
  if [ "$cpu" -ge "$budget" ]; then
    kill -INT "$pid" 2>/dev/null || true
    break
  fi
  sleep 5
done
wait "$pid" && status=0 || status=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
peak=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
found=$(find "$artifacts" -type f | wc -l)
if [ "$found" -eq 0 ] && [ "$cpu" -ge "$budget" ]; then verdict=clean; else verdict="stopped (exit $status, $found finding(s)): see $log"; fi
line="| $started | \`$target\` | $commit | $cpu | ${execs:-?} | $(find "$corpus" -type f | wc -l) | ${peak:-?} | $verdict |"
echo "$line" | tee -a "$here/CAMPAIGN.md"
