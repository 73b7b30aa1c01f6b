"""Outputs of a solve: plan.parquet, report.json (with the constraint report) and PNG charts."""
from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import numpy as np

from mmo_pyomo.io_utils import atomic_path, atomic_write_text, output_set
from mmo_pyomo.offers.coupling import coupling_rows
from mmo_pyomo.offers.offer_plan import OfferResult, contact_counts, contacts_of, plan_frame
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.plotting import pyplot, save_figure


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (MB).

    Linux's VmHWM of this process's address space; ``ru_maxrss`` (the fallback elsewhere) also
    counts what the parent held before it started this process, when that parent was larger.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def constraint_report(prob: OfferProblem, result: OfferResult) -> list[dict[str, Any]]:
    """Level, bound, slack and marginal value of every constraint, as in the paper's Figure 3.

    Marginal values are the multipliers: extra expected profit per unit of the bound (one more
    budget dollar, one more call-centre contact, one fewer required offer)."""
    rows = coupling_rows(prob)
    idx, p, c = result.values(prob)
    check = result.check
    mv = result.marginal_values or {}
    assert check.channel_counts is not None and check.offer_counts is not None
    out: list[dict[str, Any]] = [
        {"name": "budget", "level": check.cost, "bound": prob.budget, "slack": prob.budget - check.cost},
        {"name": "roi_hurdle", "level": check.profit - (1 + prob.hurdle_rate) * check.cost, "bound": 0.0,
         "slack": check.profit - (1 + prob.hurdle_rate) * check.cost},
    ]
    for k in rows.cap_channels:
        lvl = float(check.channel_counts[k])
        out.append({"name": f"capacity[{prob.channels[k]}]", "level": lvl, "bound": float(prob.capacity[k]),
                    "slack": float(prob.capacity[k]) - lvl})
    for j in rows.min_offers:
        lvl = float(check.offer_counts[j])
        out.append({"name": f"minimum[{prob.offers[j]}]", "level": lvl, "bound": float(prob.min_offers[j]),
                    "slack": lvl - float(prob.min_offers[j])})
    for row in out:
        v = mv.get(row["name"])
        row["marginal_value"] = None if v is None else float(v)
    return out


def policy_report(prob: OfferProblem, choice: np.ndarray) -> list[dict[str, Any]]:
    """Each contact-policy rule of the campaign, its limit, and how many customers (households) it bound in the
    plan: those at the rule's limit, or barred by it from an offer or from any contact."""
    policy = prob.policy
    if policy is None:
        return []
    r, n = policy.rules, prob.n_customers
    J, K = len(prob.offers), len(prob.channels)
    per, copies = contact_counts(n, J, K, *contacts_of(choice))
    held = copies > 0
    eligible: np.ndarray = np.asarray(prob.eligible.any(axis=2))
    out: list[dict[str, Any]] = []

    def row(name: str, limit: Any, bound: int, what: str) -> None:
        out.append({"name": name, "limit": limit, "bound": int(bound), "what": what})
    M, D = r.max_offers_per_customer, r.max_per_offer_per_customer
    row("max_offers_per_customer", M, (per >= M).sum(), f"customers given {M} contact(s)")
    channels = prob.eligible.sum(axis=2)
    row("max_per_offer_per_customer", D, ((copies >= D) & (channels > copies)).any(axis=1).sum(),
        f"customers given an offer {D} time(s) and allowed it on another channel")
    for x, y in r.exclusive:
        barred = (held[:, x] & eligible[:, y]) | (held[:, y] & eligible[:, x])
        row(f"exclusive[{prob.offers[x]}, {prob.offers[y]}]", None, barred.sum(),
            "customers given one of the two and allowed the other")
    for b, a in r.requires:
        row(f"requires[{prob.offers[b]} → {prob.offers[a]}]", None, (eligible[:, b] & ~held[:, a]).sum(),
            f"customers allowed {prob.offers[b]} and not given {prob.offers[a]}, so barred from it")
    reachable = eligible.any(axis=1)
    if r.cooling_off_days is not None:
        row("cooling_off_days", r.cooling_off_days, (reachable & (policy.days_since < r.cooling_off_days)).sum(),
            "customers contacted too recently, so given nothing")
    if r.max_contacts_90_days is not None:
        left = np.maximum(r.max_contacts_90_days - policy.contacts_90, 0)
        row("max_contacts_90_days", r.max_contacts_90_days, (reachable & (left < M) & (per >= left)).sum(),
            "customers whose last 90 days left fewer contacts than max_offers_per_customer, all used")
    if r.max_offers_per_household is not None and policy.household is not None:
        houses, code = policy.house_codes()
        load = np.bincount(code, weights=per, minlength=len(houses))
        row("max_offers_per_household", r.max_offers_per_household, (load >= r.max_offers_per_household).sum(),
            f"households given {r.max_offers_per_household} contacts")
    return out


def _json_safe(value: Any) -> Any:
    """Strict JSON: non-finite floats become null (no Infinity or NaN tokens)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def report_dict(prob: OfferProblem, result: OfferResult) -> dict[str, Any]:
    """report.json."""
    check = result.check
    return {
        "kind": "offers", "method": result.method, "algorithm": result.info.get("algorithm", result.method),
        "customers": prob.n_customers, "profit": check.profit, "cost": check.cost,
        "roi": check.roi, "bound": result.bound, "bound_gap": result.bound_gap, "time_method_s": result.time_s,
        "peak_memory_mb": peak_memory_mb(), "offers_made": int((result.choice >= 0).sum()),
        "evaluations": result.info.get("evaluations"), "oracle_pass_s": result.info.get("oracle_pass_s"),
        "constraints": constraint_report(prob, result), "contacts": contacts(prob, result),
        "policies": result.info.get("policy_report") or policy_report(prob, result.choice),
        "info": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in result.info.items()
                 if k != "policy_report"},
    }


def _by_offer_and_channel(prob: OfferProblem, result: OfferResult) -> tuple[np.ndarray, np.ndarray]:
    """Offers made and their expected profit, as offer × channel matrices."""
    J, K = len(prob.offers), len(prob.channels)
    _, p, _ = result.values(prob)
    flat = contacts_of(result.choice)[1]
    counts = np.bincount(flat, minlength=J * K).reshape(J, K)
    profit = np.bincount(flat, weights=p, minlength=J * K).reshape(J, K)
    return counts, profit


def contacts(prob: OfferProblem, result: OfferResult) -> dict[str, Any]:
    """The report's ``contacts``: offers made and expected profit by offer × channel."""
    counts, profit = _by_offer_and_channel(prob, result)
    return {"offers": list(prob.offers), "channels": list(prob.channels), "counts": counts.astype(int).tolist(),
            "profit": profit.tolist()}


def _charts(prob: OfferProblem, result: OfferResult, out: Path) -> None:
    plt = pyplot()

    J = len(prob.offers)
    counts, profit = _by_offer_and_channel(prob, result)
    for name, data, ylabel in (("offer_frequency_by_channel.png", counts, "offers made"),
                               ("profit_by_channel.png", profit, "expected profit ($)")):
        fig, ax = plt.subplots(figsize=(8, 4))
        bottom = np.zeros(J)
        for k, ch in enumerate(prob.channels):
            ax.bar(prob.offers, data[:, k], bottom=bottom, label=ch)
            bottom += data[:, k]
        ax.set_ylabel(ylabel)
        ax.set_title(f"{ylabel} by offer and channel ({result.method})")
        ax.tick_params(axis="x", rotation=45)
        ax.legend()
        fig.tight_layout()
        save_figure(fig, out / name, dpi=110)


#: The files :func:`write_outputs` writes into its folder.
OUTPUT_FILES = ("plan.parquet", "report.json", "offer_frequency_by_channel.png", "profit_by_channel.png")


def write_outputs(prob: OfferProblem, result: OfferResult, out: str | Path,
                  timings: dict[str, float | None] | None = None, started: float | None = None) -> dict[str, Any]:
    """Write plan.parquet, report.json and the charts into ``out``: all of them or none.

    ``timings`` (``time_load_s``, ``time_solve_s``, ``read_baseline_s``) go into the report, with
    ``time_write_s``, the time taken by the plan and the charts, ``time_method_s``, the method's own, and
    ``time_s``, the run's: from ``started`` (a ``time.perf_counter()`` at the command's start) to the report,
    or without it the method's and the write's.
    """
    import time
    out = Path(out)
    t = time.perf_counter()
    with output_set():
        with atomic_path(out / "plan.parquet") as tmp:
            plan_frame(prob, result.choice, result.values(prob)).to_parquet(tmp, index=False)
        _charts(prob, result, out)
        report = report_dict(prob, result)
        report.update(timings or {})
        report["time_write_s"] = time.perf_counter() - t
        report["time_s"] = time.perf_counter() - started if started is not None else \
            result.time_s + report["time_write_s"]
        report["peak_memory_mb"] = peak_memory_mb()
        report = _json_safe(report)
        atomic_write_text(out / "report.json", json.dumps(report, indent=2, allow_nan=False) + "\n")
    return report
