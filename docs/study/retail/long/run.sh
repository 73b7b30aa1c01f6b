#!/bin/bash
# Longer runs on the random-baseline retail case (2026-11-26), as they were run: 1,800 s of the
# improvement heuristic from the case's start (random/start.csv, 148,923.31), one run per version of
# mmo_pyomo/mix/improve.py, each beside a run of hull_oa on HiGHS (the bound) on the other core.
# usage: run.sh CASE_DIR   (CASE_DIR holds case.dat and start.csv, as for ../run_case.sh)
set -u
P=${PYTHON:-python}; S=$(cd "$(dirname "$0")/../../../.." && pwd)/scripts/solve.py; R=$1
improve() {   # OUT: the improvement, then a 1 s solve that hands its plan over
  /usr/bin/time -v $P $S -v --data $R/case.dat --formulation hull --solver scip --start-plan $R/start.csv --improve \
      --improve-time-limit 1800 --improve-slice 100 --time-limit 1 --threads 1 --gap 1e-4 \
      --json $1.json --plan $1.csv > $1.log 2> $1.err
}
bound() {     # OUT START: hull_oa on HiGHS from START for 1,800 s
  /usr/bin/time -v $P $S --data $R/case.dat --formulation hull_oa --solver highs --start-plan $2 --time-limit 1800 \
      --threads 1 --gap 1e-4 --log $1.highs.log --json $1.json --plan $1.csv > $1.log 2> $1.err
}
improve improve_v1 & bound oa_1 $R/start.csv; wait          # improve.py as of 44117b7 (k doubles after any fruitless slice)
improve improve_v2 & bound oa_2 improve_v1.csv; wait        # 3361605: k halves after a timeout
improve improve_v3                                          # 8a8cca8: rule groups adapt; fruitless neighbourhoods rest
bound oa_3 improve_v2.csv                                   # e942667: HiGHS now receives the start
# the planned-baseline case (its own case.dat and start.csv, 152,584.70), v3, 1,200 s:
#   solve.py -v --data planned/case.dat --formulation hull --solver scip --start-plan planned/start.csv --improve \
#       --improve-time-limit 1200 --improve-slice 100 --time-limit 1 --threads 1 --gap 1e-4 \
#       --json planned_improve_v3.json --plan best_plan_planned.csv
