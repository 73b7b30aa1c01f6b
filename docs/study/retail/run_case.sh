#!/bin/bash
# One retail case: start + improvement once, then every formulation cold and from that start.
# usage: run_case.sh DIR   (DIR holds case.dat: generate.py --retail [--baseline random] --out DIR/case.dat)
set -u
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../../.." && pwd)
D=$1; P=${PYTHON:-python}; S=$ROOT/scripts/solve.py; T=150
cd $D
date > times.txt
[ -f start.csv ] || $P $HERE/start.py case.dat . > start.log 2>&1
for F in hull_oa:highs misocp:scip hull:scip perspective:scip miqp:scip minlp:scip; do
  f=${F%%:*}; s=${F##*:}
  for mode in cold warm; do
    [ -f $mode.$f.log ] && grep -q "^time " $mode.$f.log && continue
    extra=""; [ $mode = warm ] && extra="--start-plan start.csv"
    echo "$(date +%T) $mode $f $s" >> times.txt
    /usr/bin/time -v $P $S --data case.dat --formulation $f --solver $s --time-limit $T --threads 1 --gap 1e-4 \
        $extra --json $mode.$f.json > $mode.$f.log 2> $mode.$f.err
    echo "rc=$?" >> $mode.$f.log
  done
done
date >> times.txt
