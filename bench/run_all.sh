#!/usr/bin/env bash
# Runs Ember's bench and the PyTorch comparison in one go (same machine, same rows) and writes
# bench/RESULTS.md. Usage: bench/run_all.sh [rows...]
#   PYTHON=/path/to/python (default /tmp/torchenv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/tmp/torchenv/bin/python}
tmp=$(mktemp -d)
cargo build --release -p ember-bench
./target/release/ember-bench --json "$@" > "$tmp/ember.json"
# PyTorch runs exactly the rows Ember ran.
rows=$(python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))))' "$tmp/ember.json")
# shellcheck disable=SC2086
"$PYTHON" bench/compare_pytorch.py --json $rows > "$tmp/torch.json"
torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
python3 - "$tmp/ember.json" "$tmp/torch.json" "$torch_version" > bench/RESULTS.md <<'PY'
import json, subprocess, sys, datetime
ember = json.load(open(sys.argv[1]))
torch = {r["id"]: r for r in json.load(open(sys.argv[2]))}
lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print("# Benchmark results: Ember vs PyTorch (CPU, f32)\n")
print(f"- machine: {model}, {cores} cores (nproc)")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
print(f"- threads: Ember {ember[0]['threads'] if ember else '?'}, PyTorch {next(iter(torch.values()))['threads'] if torch else '?'} (torch {sys.argv[3]})")
print("- each figure: median [min-max] over >= 10 runs and >= 1 s after 2 warm-up runs; "
      "ratio = how many times faster Ember is (Ember/PyTorch for rates, PyTorch/Ember for "
      "times such as us/op; higher is better)\n")
print("| row | unit | Ember | PyTorch | ratio |")
print("|---|---|---|---|---|")
for r in ember:
    t = torch.get(r["id"])
    fmt = (lambda v: f"{v:.3f}") if r["median"] < 10 else (lambda v: f"{v:.1f}")
    e = f"{fmt(r['median'])} [{fmt(r['min'])}-{fmt(r['max'])}]"
    p = f"{fmt(t['median'])} [{fmt(t['min'])}-{fmt(t['max'])}]" if t else "-"
    if t and t["median"] > 0 and r["median"] > 0:
        q = r["median"] / t["median"] if r.get("higher_is_better", True) else t["median"] / r["median"]
        ratio = f"{q:.2f}"
    else:
        ratio = "-"
    print(f"| {r['id']} | {r['unit']} | {e} | {p} | {ratio} |")
PY
cat bench/RESULTS.md
