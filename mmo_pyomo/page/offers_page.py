"""The offers pages: one campaign plan (``mmo offers solve``) and the what-if sweeps (``mmo offers sweep``)."""
from __future__ import annotations

from typing import Any

from mmo_pyomo.formatting import amount, gap_percent, seconds
from mmo_pyomo.page import html
from mmo_pyomo.page.svg import OKABE_ITO, Chart, heat_map

PROFIT = "expected profit ($)"


def _marginal_sentence(row: dict[str, Any]) -> str:
    mv = row.get("marginal_value")
    if mv is None:
        return ""
    name = row["name"]
    if name == "budget":
        return f"One more dollar of budget is worth ${mv:,.4f} of expected profit."
    if name.startswith("capacity["):
        return f"One more {name[9:-1]} contact is worth ${mv:,.4f}."
    if name.startswith("minimum["):
        return f"Requiring one fewer {name[8:-1]} offer is worth ${mv:,.4f}."
    if name == "roi_hurdle":
        return f"Relaxing the ROI hurdle by one dollar is worth ${mv:,.4f}."
    return f"Marginal value {mv:,.4f}."


def certificate(record: dict[str, Any]) -> str:
    bound, gap = record.get("bound"), record.get("bound_gap")
    if bound is not None and gap is not None:
        words = (f"No plan under these rules earns more than ${amount(bound)} of expected profit; this plan earns "
                 f"${amount(record['profit'])}, within {gap_percent(gap)} of it.")
        return html.paragraph(words, "certificate", "certificate", {"bound": repr(float(bound)), "gap": repr(float(gap))})
    words = (f"No certificate: the {record.get('method')} method gives no bound; the plan passed the independent "
             "checker.")
    return html.paragraph(words, "certificate none", "certificate", {"bound": "", "gap": ""})


def offers_page(record: dict[str, Any], source: str = "") -> str:
    """The page of a campaign's report (``report.json`` of ``mmo offers solve``)."""
    roi = "n/a" if record.get("roi") is None else f"{record['roi']:.1%}"
    head = html.cards([
        html.card("expected profit", f"${amount(record['profit'])}", f"{record['offers_made']:,} offers to "
                  f"{record['customers']:,} customers", "profit"),
        html.card("cost", f"${amount(record['cost'])}", "", "cost"),
        html.card("ROI", roi, "profit over cost", "roi"),
        html.card("certified gap", gap_percent(record.get("bound_gap"), "none"), f"{record.get('method')} method; the run "
                  f"{seconds(record.get('time_s'))} in all", "gap"),
    ])
    sections = [head, html.section("Certificate", certificate(record), "certificate-section")]
    contacts = record.get("contacts")
    if contacts:
        sections.append(html.section("Contacts by offer and channel", '<div class="figures">' + html.figure(
            heat_map(contacts["offers"], contacts["channels"], contacts["counts"], "offers made by offer × channel",
                     "offers made (count)"),
            "Each cell counts the customers who get that offer through that channel.") + html.figure(
            heat_map(contacts["offers"], contacts["channels"], contacts["profit"], "expected profit by offer × channel",
                     PROFIT)) + "</div>", "contacts"))
    rows = [(r["name"], amount(r["level"]), amount(r["bound"]), amount(r["slack"]),
             "-" if r.get("marginal_value") is None else f"{r['marginal_value']:,.4f}", _marginal_sentence(r))
            for r in record["constraints"]]
    sections.append(html.section("Constraint report", html.table(
        ["constraint", "level", "bound", "slack", "marginal value", "what it means"], rows,
        [False, True, True, True, True, False], "constraint-table",
        "Marginal values are the multipliers of the certified bound: extra expected profit per unit of the bound."),
        "constraints"))
    policies = record.get("policies") or []
    if policies:
        sections.append(html.section("Contact policies", html.table(
            ["rule", "limit", "bound", "what it counts"],
            [(p["name"], "-" if p["limit"] is None else f"{p['limit']:g}", f"{p['bound']:,}", p["what"])
             for p in policies], [False, True, True, False], "policy-table",
            "Every rule holds in the plan (the checker verified each one); bound counts the customers (households) "
            "at the rule's limit or barred by it."), "policies"))
    algorithm = record.get("algorithm")
    method = record.get("method") if algorithm in (None, record.get("method")) else f"{record.get('method')} ({algorithm})"
    return html.document("Offer plan", f"{record['customers']:,} customers · {method} method",
                         sections, source)


def sweep_page(record: dict[str, Any], source: str = "") -> str:
    """The page of the what-if sweeps: profit and marginal value against each swept amount."""
    sections = []
    for sweep in record["sweeps"]:
        param, rows = sweep["parameter"], sweep["rows"]
        xs = [r[param] for r in rows]
        profit = Chart((min(xs), max(xs)), (min(r["profit"] for r in rows), max(r["profit"] for r in rows)),
                       x_label=f"{param} ($)" if param == "budget" else f"{param} (contacts)", y_label=PROFIT,
                       title=f"expected profit against {param}")
        profit.line(xs, [r["profit"] for r in rows], OKABE_ITO["blue"], "profit")
        bounds = [r for r in rows if r.get("bound") is not None]
        if bounds:
            profit.line([r[param] for r in bounds], [r["bound"] for r in bounds], OKABE_ITO["orange"], "bound", 1.5,
                        "5 4")
        for x, r in zip(xs, rows):
            profit.marker(x, r["profit"], OKABE_ITO["blue"], "", "circle", 3.5)
        mvs = [(x, r["marginal_value"]) for x, r in zip(xs, rows) if r.get("marginal_value") is not None]
        figs = html.figure(profit.svg())
        if mvs:
            mv = Chart((min(xs), max(xs)), (min(v for _, v in mvs), max(v for _, v in mvs)),
                       x_label=profit.x_label, y_label="marginal value ($ per unit)",
                       title=f"marginal value of {param}")
            mv.line([x for x, _ in mvs], [v for _, v in mvs], OKABE_ITO["vermillion"], "marginal value")
            for x, v in mvs:
                mv.marker(x, v, OKABE_ITO["vermillion"], "", "square", 3.5)
            figs += html.figure(mv.svg())
        table = html.table([param, "profit", "bound", "gap", "ROI", "marginal value"],
                           [(amount(r[param]), amount(r["profit"]), amount(r.get("bound")),
                             gap_percent(r.get("bound_gap"), "-"), "-" if r.get("roi") is None else f"{r['roi']:.1%}",
                             "-" if r.get("marginal_value") is None else f"{r['marginal_value']:,.4f}") for r in rows],
                           [True] * 6, f"sweep-{param}")
        sections.append(html.section(f"What if: {param}", f'<div class="figures">{figs}</div>' + table,
                                     f"sweep-{param}-section"))
    return html.document("Offer what-ifs", f"{record.get('campaign', '')}", sections, source)
