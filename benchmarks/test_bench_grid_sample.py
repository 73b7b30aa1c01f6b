"""The grid sample: four n = 1000 cases of the paper's design at the paper's tolerance (gap 1e-4),
cold against the chord start, and the SOC hull on SCIP against its MILP outer approximation.

Run: ``python -m pytest benchmarks/test_bench_grid_sample.py --benchmark-json out.json``; compare
the rows of one run only. Each run records, per instance, the status, gap, nodes and time in
``extra_info``; 60 s per solve and 1 thread, so a full run takes up to 25 minutes.
"""
from __future__ import annotations

import pytest

from mmo_pyomo.mix.chord import chord_start
from mmo_pyomo.mix.instances import paper_instance
from mmo_pyomo.mix.relaxation import root_bound
from mmo_pyomo.mix.runner import solve

#: (correlation, δ = minimum change, κ = K/n), seed 7
SAMPLE = [("strong", 0.20, 0.50), ("weak", 0.20, 1.00), ("weak", 0.10, 0.50), ("strong", 0.05, 0.25)]
GRID = [paper_instance(1000, c, d, k, seed=7) for c, d, k in SAMPLE]
GAP, LIMIT = 1e-4, 60.0

CASES = [("hull", "scip", "none"), ("hull", "scip", "chord"), ("misocp", "scip", "none"),
         ("misocp", "scip", "chord"), ("hull_oa", "highs", "none"), ("hull_oa", "scip", "none")]


@pytest.mark.parametrize("formulation,solver,start", CASES, ids=["-".join(c) for c in CASES])
def test_grid_sample(benchmark, formulation, solver, start):
    def run():
        rows = []
        for inst in GRID:
            plan = chord_start(inst, "highs", "highs") if start == "chord" else None
            r = solve(inst, formulation, solver, mip_gap=GAP, time_limit=LIMIT, threads=1,
                      start=None if plan is None else plan.delta)
            start_s = None if plan is None else plan.milp_time_s + plan.polish_time_s
            rows.append(dict(instance=inst.name, status=str(r.status), gap=r.gap, nodes=r.nodes, time_s=r.time_s,
                             start_s=start_s, objective=r.objective, bound=r.bound))
        return rows
    rows = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["runs"] = rows
    benchmark.extra_info["proved_within_1e-4"] = sum(r["gap"] is not None and r["gap"] <= GAP + 1e-12 for r in rows)
    assert all(r["objective"] is not None for r in rows)
    assert all(r["bound"] >= r["objective"] * (1 - 1e-9) for r in rows)


@pytest.mark.parametrize("formulation", ["hull", "hull_oa"])
def test_grid_sample_root_bound(benchmark, formulation):
    """Root bounds of the SOC hull (SCIP) and of its initial outer approximation (HiGHS)."""
    solver = "highs" if formulation == "hull_oa" else "scip"
    bounds = benchmark.pedantic(lambda: [root_bound(inst, formulation, solver) for inst in GRID],
                                rounds=1, iterations=1)
    benchmark.extra_info["root_bounds"] = dict(zip([i.name for i in GRID], bounds))
    assert all(b > 0 for b in bounds)


@pytest.mark.parametrize("formulation", ["hull", "misocp"])
def test_grid_sample_fixing(benchmark, formulation):
    """Lagrangian region fixing (``--fix``) from the chord start against the same solve without it, side by side
    per instance in one run, each twice in alternating order (the times are the means): the time with fixing
    counts the dual's solve. Fixing should make no case slower by more than 10%."""
    import time

    from mmo_pyomo.mix.pipeline import plan
    from mmo_pyomo.solvers.options import SolveOptions

    def run():
        rows = []
        for inst in GRID:
            start = chord_start(inst, "highs", "highs").delta
            options = SolveOptions(mip_gap=GAP, time_limit=LIMIT, threads=1)
            times: dict[bool, list[float]] = {False: [], True: []}
            for order in ((False, True), (True, False)):      # both orders, so that neither run goes first always
                for fix in order:
                    t = time.perf_counter()
                    planned = plan(inst, formulation, "scip", options, start=start, fix=fix)
                    times[fix].append(time.perf_counter() - t)
                    if fix:
                        fixed = planned
                    else:
                        plain = planned
            plain_s, fixed_s = sum(times[False]) / 2, sum(times[True]) / 2
            rows.append(dict(instance=inst.name, plain_s=plain_s, fixed_s=fixed_s, ratio=fixed_s / plain_s,
                             plain_runs=times[False], fixed_runs=times[True],
                             fixed=fixed.prepared.fixing[-1]["fixed"], regions=fixed.prepared.fixing[-1]["regions"],
                             plain_gap=plain.result.gap, fixed_gap=fixed.result.gap,
                             plain_objective=plain.result.objective, fixed_objective=fixed.result.objective))
        return rows
    rows = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["runs"] = rows
    for r in rows:     # the fixing is valid: the same optimum where both prove it
        if r["plain_gap"] is not None and r["fixed_gap"] is not None and max(r["plain_gap"], r["fixed_gap"]) <= GAP:
            assert r["fixed_objective"] == pytest.approx(r["plain_objective"], rel=2 * GAP)
