"""Start plus improvement for one retail case, made once and given to every formulation's solve.

The chord MILP on HiGHS (at most 300 s) and its polish, then the improvement heuristic (hull on
SCIP, 50 s slices, 150 s in all). Writes start.csv (a plan, for ``solve.py --start-plan``) and
start.json (revenues and times). The command-line equivalent is
``solve.py --formulation hull --start chord --start-solver highs --start-time-limit 300 --improve
--improve-time-limit 150 --improve-slice 50 --time-limit 1 --plan start.csv``.

usage: python start.py CASE.dat OUT_DIR
"""
import json
import sys
import time

from mmo_pyomo.instance import load_instance
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.chord import chord_start
from mmo_pyomo.mix.improve import improve
from mmo_pyomo.mix.plan_table import write_plan_csv

data, out = sys.argv[1], sys.argv[2]
inst = load_instance(data)
t0 = time.perf_counter()
plan = chord_start(inst, milp_solver="highs", time_limit=300)
t1 = time.perf_counter()
found = improve(inst, plan.delta, formulation="hull", solver="scip", time_limit=150, slice_s=50, threads=1)
t2 = time.perf_counter()
check = check_plan(inst, inst.baseline + found.delta)
assert check.feasible, check.summary()
write_plan_csv(inst, found.delta, f"{out}/start.csv")
record = {"chord_revenue": plan.revenue, "chord_milp_revenue": plan.chord_revenue, "chord_time_s": t1 - t0,
          "milp_time_s": plan.milp_time_s, "improved_revenue": found.revenue, "improve_time_s": t2 - t1,
          "slices": len(found.slices), "checked_revenue": check.revenue}
with open(f"{out}/start.json", "w") as fh:
    json.dump(record, fh, indent=2)
print(json.dumps(record))
