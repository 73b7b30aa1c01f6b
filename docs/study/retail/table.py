"""The retail table from run_case.sh's logs: one row per formulation, cold and from the start.

usage: python table.py CASE_DIR [CASE_DIR ...]
"""
import json
import re
import sys
from pathlib import Path

FORMS = [("minlp", "SCIP"), ("miqp", "SCIP"), ("perspective", "SCIP"), ("misocp", "SCIP"), ("hull", "SCIP"),
         ("hull_oa", "HiGHS")]


def field(text: str, name: str) -> str | None:
    m = re.search(rf"^{name}\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else None


def num(s: str | None) -> float | None:
    try:
        return float(s.replace(",", "").split()[0].rstrip("%")) if s else None
    except (ValueError, IndexError):
        return None


def row(folder: str, mode: str, f: str) -> dict | None:
    log, err_file = Path(folder, f"{mode}.{f}.log"), Path(folder, f"{mode}.{f}.err")
    if not log.exists():
        return None
    text = log.read_text()
    err = err_file.read_text() if err_file.exists() else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    revenue = field(text, "total revenue")
    return {"status": field(text, "status"), "objective": None if revenue == "unknown" else num(revenue),
            "bound": num(field(text, "best bound")), "nodes": field(text, "nodes"), "time": num(field(text, "time")),
            "rss_gb": int(rss.group(1)) / 2**20 if rss else None}


def fmt(x: float | None, spec: str = ",.2f", unit: str = "") -> str:
    return "—" if x is None else format(x, spec) + unit


def gap(bound: float | None, plan: float | None) -> float | None:
    return None if bound is None or plan is None else 100 * (bound - plan) / abs(bound)


for case in sys.argv[1:]:
    start = json.loads(Path(case, "start.json").read_text()) if Path(case, "start.json").exists() else {}
    rows = {(m, f): row(case, m, f) for f, _ in FORMS for m in ("cold", "warm")}
    done = {k: r for k, r in rows.items() if r}
    best_bound = min(r["bound"] for r in done.values() if r["bound"] is not None)
    plans = [r["objective"] for r in done.values() if r["objective"] is not None] + [start.get("checked_revenue")]
    best_plan = max(p for p in plans if p is not None)
    print(f"\n### {case}\n")
    if start:
        print(f"start: chord MILP on HiGHS {start['milp_time_s']:.0f} s → polished {start['chord_revenue']:,.2f} "
              f"({start['chord_time_s']:.0f} s); improvement {start['improve_time_s']:.0f} s, {start['slices']} "
              f"slices → **{start['improved_revenue']:,.2f}**\n")
    print("| formulation | engine | start | status | plan | best bound | gap to own bound | gap to best bound "
          "| nodes | time (s) | peak memory (GB) |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for f, engine in FORMS:
        for m in ("cold", "warm"):
            r = rows[(m, f)]
            if r is None:
                continue
            print(f"| {f} | {engine} | {'none' if m == 'cold' else 'start + improve'} | {r['status'] or '?'} | "
                  f"{fmt(r['objective'])} | {fmt(r['bound'])} | {fmt(gap(r['bound'], r['objective']), '.4f', '%')} | "
                  f"{fmt(gap(best_bound, r['objective']), '.4f', '%')} | {r['nodes'] or '—'} | "
                  f"{fmt(r['time'], '.0f')} | {fmt(r['rss_gb'], '.1f')} |")
    where = ", ".join(f"{m} {f}" for (m, f), r in done.items() if r["bound"] == best_bound)
    print(f"\nbest plan {best_plan:,.2f}; smallest bound {best_bound:,.2f} ({where}); "
          f"certified gap {gap(best_bound, best_plan):.4f}%")
