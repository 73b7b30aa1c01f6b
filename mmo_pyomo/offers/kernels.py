"""Compiled kernels (numba) of offer optimization: laying scores out, and one oracle pass.

Each kernel makes one pass over its arrays and releases the GIL (``nogil``), so the local
executor's threads run partitions side by side.
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: Problem codes returned by :func:`scatter_scores` (0 = none); the loader turns them into errors.
OK, DUPLICATE, BAD_COST, BAD_PROFIT, UNKNOWN_OFFER, UNKNOWN_CHANNEL = 0, 1, 2, 3, 4, 5


@njit(cache=True, nogil=True)
def sorted_run_count(cid: np.ndarray, last: np.int64, started: bool) -> tuple[int, bool, np.int64]:
    """Distinct values of a non-decreasing batch of customer ids (continuing after ``last``).

    Returns (new runs, still non-decreasing, last id).
    """
    runs = 0
    for i in range(cid.shape[0]):
        v = cid[i]
        if not started or v != last:
            if started and v < last:
                return runs, False, last
            runs += 1
            last = v
            started = True
    return runs, True, last


@njit(cache=True, nogil=True)
def sorted_codes(cid: np.ndarray, last: np.int64, code: np.int64, ids: np.ndarray) -> tuple[np.ndarray, np.int64, np.int64]:
    """Customer codes of a sorted batch (code += 1 at each new id), writing each new id into ``ids``."""
    out = np.empty(cid.shape[0], np.int64)
    for i in range(cid.shape[0]):
        v = cid[i]
        if code < 0 or v != last:
            code += 1
            ids[code] = v
            last = v
        out[i] = code
    return out, last, code


@njit(cache=True, nogil=True)
def scatter_scores(codes: np.ndarray, off_idx: np.ndarray, ch_idx: np.ndarray, off_map: np.ndarray,
                   ch_map: np.ndarray, profit: np.ndarray, cost: np.ndarray, P: np.ndarray, C: np.ndarray,
                   E: np.ndarray, J: int, K: int) -> tuple[int, int]:
    """Write one batch of long rows into the dense (customer·offer·channel) arrays.

    ``off_map``/``ch_map`` map the batch's dictionary indices to offer/channel codes (−1:
    unknown). Returns (problem code, row) of the first bad row, or (OK, −1).
    """
    for r in range(codes.shape[0]):
        j = off_map[off_idx[r]]
        if j < 0:
            return UNKNOWN_OFFER, r
        k = ch_map[ch_idx[r]]
        if k < 0:
            return UNKNOWN_CHANNEL, r
        c = cost[r]
        if not (c >= 0.0) or not np.isfinite(c):
            return BAD_COST, r
        p = profit[r]
        if not np.isfinite(p):
            return BAD_PROFIT, r
        cell = (codes[r] * J + j) * K + k
        if E[cell]:
            return DUPLICATE, r
        E[cell] = True
        P[cell] = p
        C[cell] = c
    return OK, -1


@njit(cache=True, nogil=True, inline="always")
def _top_option(P: np.ndarray, C: np.ndarray, E: np.ndarray, i: int, a: float, b: float, shift: np.ndarray,
                floor: float) -> tuple[float, int]:
    """Customer i's allowed option of highest score a·profit − b·cost + shift[o] above ``floor``,
    and that score ((floor, −1) if none)."""
    top = floor
    arg = -1
    for o in range(P.shape[1]):
        if E[i, o]:
            r = a * P[i, o] - b * C[i, o] + shift[o]
            if r > top:
                top = r
                arg = o
    return top, arg


@njit(cache=True, nogil=True)
def oracle_pass(P: np.ndarray, C: np.ndarray, E: np.ndarray, a: float, b: float, shift: np.ndarray,
                counts: np.ndarray) -> tuple[float, float, float]:
    """One Lagrangian evaluation over a block of customers (arrays of shape (n, J·K)).

    Reduced profit of option o: a·profit − b·cost + shift[o]. Each customer takes the option of
    highest positive reduced profit, or none. Adds the chosen options to ``counts`` and returns
    (Σ best reduced profit, Σ profit, Σ cost) of the choices.
    """
    n = P.shape[0]
    value = 0.0
    profit = 0.0
    cost = 0.0
    for i in range(n):
        best, arg = _top_option(P, C, E, i, a, b, shift, 0.0)
        if arg >= 0:
            value += best
            profit += P[i, arg]
            cost += C[i, arg]
            counts[arg] += 1
    return value, profit, cost


@njit(cache=True, nogil=True)
def best_options(P: np.ndarray, C: np.ndarray, E: np.ndarray, a: float, b: float, shift: np.ndarray,
                 choice: np.ndarray, best: np.ndarray) -> None:
    """Each customer's option of highest reduced profit (−1 and −inf where none is allowed)."""
    for i in range(P.shape[0]):
        best[i], choice[i] = _top_option(P, C, E, i, a, b, shift, -np.inf)


@njit(cache=True, nogil=True)
def cheapest_per_offer(C: np.ndarray, E: np.ndarray, J: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Per offer and customer, the cheapest allowed channel's cost (inf if none), shape (J, n); and
    per offer, how many customers may receive it. ``C`` and ``E`` have shape (n, J·K)."""
    n = C.shape[0]
    cheapest = np.full((J, n), np.inf, np.float32)
    allowed = np.zeros(J, np.int64)
    for i in range(n):
        for j in range(J):
            best = np.inf
            for k in range(K):
                if E[i, j * K + k] and C[i, j * K + k] < best:
                    best = C[i, j * K + k]
            if best < np.inf:
                cheapest[j, i] = best
                allowed[j] += 1
    return cheapest, allowed


@njit(cache=True, nogil=True)
def chosen_scores(P: np.ndarray, C: np.ndarray, choice: np.ndarray, a: float, b: float, shift: np.ndarray,
                  out: np.ndarray) -> None:
    """Score a·profit − b·cost + shift[o] of each customer's current option o (0 for none)."""
    for i in range(choice.shape[0]):
        o = choice[i]
        out[i] = a * P[i, o] - b * C[i, o] + shift[o] if o >= 0 else 0.0


@njit(cache=True, nogil=True)
def offer_scores(P: np.ndarray, C: np.ndarray, E: np.ndarray, j: int, K: int, a: float, b: float, shift: np.ndarray,
                 out: np.ndarray) -> None:
    """Score of offer j on each channel for every customer, −inf where it is not allowed; ``out`` is (n, K)."""
    for i in range(P.shape[0]):
        for k in range(K):
            o = j * K + k
            out[i, k] = a * P[i, o] - b * C[i, o] + shift[o] if E[i, o] else -np.inf


@njit(cache=True, nogil=True)
def cluster_sums(labels: np.ndarray, P: np.ndarray, C: np.ndarray, E: np.ndarray,
                 clusters: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster and option: allowed customers, and the sums of their profit and cost (one pass)."""
    m = P.shape[1]
    elig = np.zeros((clusters, m))
    psum = np.zeros((clusters, m))
    csum = np.zeros((clusters, m))
    for i in range(P.shape[0]):
        c = labels[i]
        for o in range(m):
            if E[i, o]:
                elig[c, o] += 1.0
                psum[c, o] += P[i, o]
                csum[c, o] += C[i, o]
    return elig, psum, csum


@njit(cache=True, nogil=True)
def fill_in_order(option: np.ndarray, p: np.ndarray, c: np.ndarray, K: int, taken: np.ndarray, cost: float,
                  profit: float, budget: float, h: float, room: np.ndarray, cheapest: float) -> int:
    """Give each candidate in turn its ``option`` (profit ``p``, cost ``c``) while the budget, the
    ROI hurdle (profit ≥ h·cost) and the channel room allow, marking it ``taken``; stop once no
    contact fits the budget. Returns how many were added."""
    added = 0
    for t in range(option.shape[0]):
        ci = c[t]
        pi = p[t]
        k = option[t] % K
        if cost + ci > budget or room[k] < 1 or profit + pi < h * (cost + ci):
            continue
        taken[t] = True
        cost += ci
        profit += pi
        room[k] -= 1
        added += 1
        if budget - cost < cheapest:
            break
    return added


@njit(cache=True, nogil=True)
def min_allowed_cost(C: np.ndarray, E: np.ndarray, positive: bool) -> float:
    """The cheapest cost of any allowed option (only costs > 0 with ``positive``); inf if there is
    none. Flat arrays."""
    best = np.inf
    for t in range(C.shape[0]):
        if E[t] and C[t] < best and (C[t] > 0.0 or not positive):
            best = C[t]
    return best


@njit(cache=True, nogil=True)
def assign_in_order(order: np.ndarray, k_best: np.ndarray, offer_now: np.ndarray, choice: np.ndarray,
                    room: np.ndarray, spare: np.ndarray, j: int, K: int, need: int) -> int:
    """Move customers (in ``order``) to offer j on their best channel until ``need`` are moved, never
    past a channel's ``room`` and never taking an offer below its minimum (``spare``). Returns the count."""
    taken = 0
    for t in range(order.shape[0]):
        if taken >= need:
            break
        i = order[t]
        k = k_best[i]
        if room[k] < 1:
            continue
        o = offer_now[i]
        if o >= 0:
            if spare[o] < 1:
                continue
            spare[o] -= 1
            room[choice[i] % K] += 1
        room[k] -= 1
        choice[i] = j * K + k
        taken += 1
    return taken


@njit(cache=True, nogil=True)
def best_return(P: np.ndarray, C: np.ndarray, E: np.ndarray) -> float:
    """The largest profit/cost of any allowed option with a positive cost (inf if one costs nothing)."""
    best = 0.0
    for i in range(P.shape[0]):
        for o in range(P.shape[1]):
            if E[i, o]:
                if C[i, o] <= 0.0:
                    if P[i, o] > 0.0:
                        return np.inf
                elif P[i, o] / C[i, o] > best:
                    best = P[i, o] / C[i, o]
    return best
