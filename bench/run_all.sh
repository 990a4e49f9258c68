#!/usr/bin/env bash
# Runs Ember's bench and the PyTorch comparison side by side (same machine, same rows) and
# writes bench/RESULTS.md. Usage: bench/run_all.sh [rows...]
#   PYTHON=/path/to/python (default /tmp/torchenv/bin/python)
#   ROUNDS=n (default 2): each row is measured n times on each side, the two sides taking turns
#   row by row (Ember first in odd rounds, PyTorch first in even ones); the ratio is the
#   geometric mean of the per-round ratios. The machine's speed drifts over minutes
#   (memory-bound rows moved by a third between runs an hour apart); running all of one side
#   and then all of the other put the two measurements of a row minutes apart, in different
#   phases.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/tmp/torchenv/bin/python}
ROUNDS=${ROUNDS:-2}
tmp=$(mktemp -d)
cargo build --release -p ember-bench
if [ "$#" -gt 0 ]; then
  rows="$*"
else
  # Every row of Ember's build, in its order.
  rows=$(./target/release/ember-bench --list)
fi
torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
for round in $(seq 1 "$ROUNDS"); do
  for row in $rows; do
    if [ $((round % 2)) -eq 1 ]; then
      ./target/release/ember-bench --json "$row" > "$tmp/ember.$round.$row.json"
      "$PYTHON" bench/compare_pytorch.py --json "$row" > "$tmp/torch.$round.$row.json"
    else
      "$PYTHON" bench/compare_pytorch.py --json "$row" > "$tmp/torch.$round.$row.json"
      ./target/release/ember-bench --json "$row" > "$tmp/ember.$round.$row.json"
    fi
  done
done
python3 - "$tmp" "$torch_version" "$ROUNDS" $rows > bench/RESULTS.md <<'PY'
import json, math, os, subprocess, sys, datetime
tmp, torch_version, rounds, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])

def side(name, row):
    """The row's records of every round on one side (None when the side lacks the row)."""
    recs = []
    for r in range(1, rounds + 1):
        path = os.path.join(tmp, f"{name}.{r}.{row}.json")
        recs += [x for x in json.load(open(path)) if x["id"] == row]
    return recs if len(recs) == rounds else None

lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
table = [(row, side("ember", row), side("torch", row)) for row in rows]
e0 = next((e[0] for _, e, _ in table if e), None)
t0 = next((t[0] for _, _, t in table if t), None)
print("# Benchmark results: Ember vs PyTorch (CPU, f32)\n")
print(f"- machine: {model}, {cores} cores (nproc)")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
print(f"- threads: Ember {e0['threads'] if e0 else '?'}, PyTorch {t0['threads'] if t0 else '?'} (torch {torch_version})")
print(f"- {rounds} rounds; in each, every row runs on both sides one after the other (Ember first in "
      "odd rounds, PyTorch first in even ones): 2 warm-up runs, then >= 10 timed runs and >= 1 s "
      "(whole-epoch rows: 1 warm-up, 3 runs)")
print("- Ember, PyTorch: the median of the per-round medians [min-max over every run]; ratio: "
      "how many times faster Ember is, the geometric mean of the per-round ratios (each round "
      "compares the two sides in the same phase of the machine); Ember/PyTorch for rates, "
      "PyTorch/Ember for times such as us/op; higher is better\n")
print("| row | unit | Ember | PyTorch | ratio | per-round ratios |")
print("|---|---|---|---|---|---|")
for row, e, t in table:
    if not e:
        continue
    em = median([x["median"] for x in e])
    fmt = (lambda v: f"{v:.3f}") if em < 10 else (lambda v: f"{v:.1f}")
    es = f"{fmt(em)} [{fmt(min(x['min'] for x in e))}-{fmt(max(x['max'] for x in e))}]"
    if not t:
        print(f"| {row} | {e[0]['unit']} | {es} | - | - | - |")
        continue
    tm = median([x["median"] for x in t])
    ps = f"{fmt(tm)} [{fmt(min(x['min'] for x in t))}-{fmt(max(x['max'] for x in t))}]"
    higher = e[0].get("higher_is_better", True)
    qs = [(a["median"] / b["median"] if higher else b["median"] / a["median"])
          for a, b in zip(e, t) if a["median"] > 0 and b["median"] > 0]
    ratio = f"{math.exp(sum(map(math.log, qs)) / len(qs)):.2f}" if qs else "-"
    per = ", ".join(f"{q:.2f}" for q in qs)
    print(f"| {row} | {e[0]['unit']} | {es} | {ps} | {ratio} | {per} |")
PY
cat bench/RESULTS.md
