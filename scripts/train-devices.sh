#!/usr/bin/env bash
# One device, one lent device, two lent devices, two local devices: the same small training run
# (docs/results.md, "One device, two devices, two machines' devices"). The lent devices are
# `prm serve-device` processes on this machine's loopback. Writes target/devices/NAME/ and prints
# each run's last row of metrics.jsonl. Needs the data folder and .cache/minilm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p prm-cli
P=target/release/prm
OUT=target/devices
mkdir -p "$OUT"
common=(--layers 2 --steps 150 --checkpoint-every 50 --batch-tokens 1024 --max-train-tokens 256 --valid-batches 24)
$P serve-device --port 18811 > "$OUT/serve-1.log" 2>&1 & S1=$!
$P serve-device --port 18812 > "$OUT/serve-2.log" 2>&1 & S2=$!
trap 'kill $S1 $S2 2>/dev/null' EXIT
sleep 2
R1=remote:ws://127.0.0.1:18811 R2=remote:ws://127.0.0.1:18812
for run in "cpu-42|42|cpu" "cpu-43|43|cpu" "remote-42|42|$R1" "two-remote-42|42|$R1,$R2" \
           "two-remote-43|43|$R1,$R2" "cpu-cpu-42|42|cpu,cpu"; do
  IFS='|' read -r name seed devices <<< "$run"
  rm -rf "${OUT:?}/$name"
  start=$(date +%s)
  $P train "${common[@]}" --seed "$seed" --devices "$devices" \
    --work "$OUT/$name" --out "$OUT/$name/model" 2> "$OUT/$name.log"
  echo "$name ($devices, seed $seed, $(( $(date +%s) - start )) s): $(tail -1 "$OUT/$name/metrics.jsonl")"
done
