#!/usr/bin/env bash
# Runs Ember's bench and the PyTorch comparison side by side (same machine, same rows) and
# writes bench/RESULTS.md. Usage: bench/run_all.sh [rows...]
#   PYTHON=/path/to/python (default /tmp/torchenv/bin/python)
#   ROUNDS=n (default 2): each row is measured n times on each side, the two sides taking turns
#   row by row (Ember first in odd rounds, PyTorch first in even ones), and each side's figures
#   pooled over the rounds. The machine's speed drifts over minutes (memory-bound rows moved
#   by a third between runs an hour apart); running all of one side and then all of the other
#   put the two measurements of a row minutes apart, in different phases.
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
import json, os, subprocess, sys, datetime
tmp, torch_version, rounds, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]

def pooled(side, row):
    """The row's figures of every round, pooled: median, min, max, runs, threads."""
    recs = []
    for r in range(1, rounds + 1):
        path = os.path.join(tmp, f"{side}.{r}.{row}.json")
        recs += [x for x in json.load(open(path)) if x["id"] == row]
    if not recs:
        return None
    figs = sorted(f for x in recs for f in x["figures"])
    n = len(figs)
    med = figs[n // 2] if n % 2 else 0.5 * (figs[n // 2 - 1] + figs[n // 2])
    return dict(median=med, min=figs[0], max=figs[-1], runs=n, unit=recs[0]["unit"],
                threads=recs[0]["threads"], higher=recs[0].get("higher_is_better", True),
                rounds=[x["median"] for x in recs])

lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
table = [(row, pooled("ember", row), pooled("torch", row)) for row in rows]
e0 = next((e for _, e, _ in table if e), None)
t0 = next((t for _, _, t in table if t), None)
print("# Benchmark results: Ember vs PyTorch (CPU, f32)\n")
print(f"- machine: {model}, {cores} cores (nproc)")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
print(f"- threads: Ember {e0['threads'] if e0 else '?'}, PyTorch {t0['threads'] if t0 else '?'} (torch {torch_version})")
print(f"- {rounds} rounds; in each, every row runs on both sides one after the other (Ember first in "
      "odd rounds, PyTorch first in even ones); each round: 2 warm-up runs, then >= 10 timed runs "
      "and >= 1 s (whole-epoch rows: 1 warm-up, 3 runs)")
print("- each figure: median [min-max] over the runs of all rounds; the per-round medians follow "
      "in the last columns; ratio = how many times faster Ember is (Ember/PyTorch for rates, "
      "PyTorch/Ember for times such as us/op; higher is better)\n")
print("| row | unit | Ember | PyTorch | ratio | Ember per round | PyTorch per round |")
print("|---|---|---|---|---|---|---|")
for row, e, t in table:
    if not e:
        continue
    fmt = (lambda v: f"{v:.3f}") if e["median"] < 10 else (lambda v: f"{v:.1f}")
    es = f"{fmt(e['median'])} [{fmt(e['min'])}-{fmt(e['max'])}]"
    ps = f"{fmt(t['median'])} [{fmt(t['min'])}-{fmt(t['max'])}]" if t else "-"
    if t and t["median"] > 0 and e["median"] > 0:
        q = e["median"] / t["median"] if e["higher"] else t["median"] / e["median"]
        ratio = f"{q:.2f}"
    else:
        ratio = "-"
    er = ", ".join(fmt(v) for v in e["rounds"])
    pr = ", ".join(fmt(v) for v in t["rounds"]) if t else "-"
    print(f"| {row} | {e['unit']} | {es} | {ps} | {ratio} | {er} | {pr} |")
PY
cat bench/RESULTS.md
