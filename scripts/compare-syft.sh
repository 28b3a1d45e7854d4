#!/usr/bin/env bash
# compare-syft.sh — the OS packages (name, version, architecture) drydock reports for
# each fixture source must be exactly Syft's. Prints differences; exits 1 on any.
set -euo pipefail
cd "$(dirname "$0")/.."
FX=${FX:-/var/tmp/fx}
REG_ADDR=${REG_ADDR:-127.0.0.1:5000}
SYFT=${SYFT:-/opt/peers/venv/bin/syft}
OUT=$(mktemp -d)
export SYFT_CHECK_FOR_APP_UPDATE=false SYFT_REGISTRY_INSECURE_USE_HTTP=true
cargo build --release -q -p drydock
DRYDOCK=$PWD/target/release/drydock
status=0
for t in "squashed docker-archive:$FX/images/bookworm-rich.docker.tar" \
         "squashed oci-archive:$FX/images/bookworm-rich.oci.tar" \
         "squashed oci-dir:$FX/images/bookworm-rich.oci" \
         "squashed registry:$REG_ADDR/fx/bookworm:rich" \
         "squashed dir:$FX/bookworm-rich" \
         "all-layers oci-dir:$FX/images/bookworm-rich.oci"; do
  read -r scope src <<<"$t"
  "$SYFT" scan "$src" --scope "$scope" -q -o "syft-json=$OUT/s.json"
  "$DRYDOCK" sbom "$src" --scope "$scope" -q --no-cache -o "json=$OUT/d.json"
  jq -r '.artifacts[] | select(.type=="deb") | [.name, .version, .metadata.architecture] | @tsv' "$OUT/s.json" | sort -u > "$OUT/s.tsv"
  jq -r '.packages[] | select(.type=="deb") | [.name, .version, .architecture] | @tsv' "$OUT/d.json" | sort -u > "$OUT/d.tsv"
  if diff -u "$OUT/s.tsv" "$OUT/d.tsv" > "$OUT/diff"; then
    printf '%-10s %-70s same %s deb packages\n' "$scope" "$src" "$(wc -l < "$OUT/d.tsv")"
  else
    printf '%-10s %-70s DIFFERENT\n' "$scope" "$src"; head -20 "$OUT/diff"; status=1
  fi
  grep -q "^e2fsprogs	" "$OUT/d.tsv" && echo "    e2fsprogs present" || echo "    e2fsprogs absent"
  jq -e '.packages[] | select(.type=="python" and .name=="Django")' "$OUT/d.json" >/dev/null \
    && echo "    Django present" || echo "    Django absent"
done

# Every package type Syft reports: drydock's (name, version) set must contain Syft's.
echo
printf '%-22s %-12s %6s %8s %8s %6s\n' source type syft drydock missing extra
for src in "docker-archive:$FX/images/bookworm-rich.docker.tar" "dir:$FX/bookworm-rich"; do
  "$SYFT" scan "$src" -q -o "syft-json=$OUT/s.json"
  "$DRYDOCK" sbom "$src" -q --no-cache -o "json=$OUT/d.json"
  for type in $(jq -r '[.artifacts[].type] | unique | .[]' "$OUT/s.json"); do
    jq -r --arg t "$type" '.artifacts[] | select(.type==$t) | "\(.name|ascii_downcase) \(.version)"' "$OUT/s.json" | sort -u > "$OUT/s.txt"
    jq -r --arg t "$type" '.packages[] | select(.type==$t) | "\(.name|ascii_downcase) \(.version)"' "$OUT/d.json" | sort -u > "$OUT/d.txt"
    missing=$(comm -23 "$OUT/s.txt" "$OUT/d.txt" | wc -l)
    extra=$(comm -13 "$OUT/s.txt" "$OUT/d.txt" | wc -l)
    printf '%-22s %-12s %6s %8s %8s %6s\n' "${src%%:*}" "$type" "$(wc -l < "$OUT/s.txt")" "$(wc -l < "$OUT/d.txt")" "$missing" "$extra"
    if ((missing)); then comm -23 "$OUT/s.txt" "$OUT/d.txt" | head -5 | sed 's/^/    missing: /'; fi
  done
done
exit $status
