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
    """Score Σ a·profit − b·cost + shift[o] of each customer's current options o (``choice`` (n, M), −1 padded;
    0 for none)."""
    for i in range(choice.shape[0]):
        v = 0.0
        for s in range(choice.shape[1]):
            o = choice[i, s]
            if o >= 0:
                v += a * P[i, o] - b * C[i, o] + shift[o]
        out[i] = v


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
                  profit: float, budget: float, h: float, room: np.ndarray, cheapest: float, house: np.ndarray,
                  house_room: np.ndarray) -> tuple[int, int]:
    """Give each candidate in turn its ``option`` (profit ``p``, cost ``c``) while the budget, the
    ROI hurdle (profit ≥ h·cost), the channel room and its household's room allow (``house[t]`` < 0: none),
    marking it ``taken``; stop once no contact fits the budget. Returns (how many were added, where the walk stopped:
    the candidate after which no contact fits, or the number of candidates)."""
    added = 0
    for t in range(option.shape[0]):
        ci = c[t]
        pi = p[t]
        k = option[t] % K
        if cost + ci > budget or room[k] < 1 or profit + pi < h * (cost + ci):
            continue
        if house[t] >= 0:
            if house_room[house[t]] < 1:
                continue
            house_room[house[t]] -= 1
        taken[t] = True
        cost += ci
        profit += pi
        room[k] -= 1
        added += 1
        if budget - cost < cheapest:
            return added, t
    return added, option.shape[0]


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
                    room: np.ndarray, spare: np.ndarray, j: int, K: int, need: int, house: np.ndarray,
                    house_room: np.ndarray) -> int:
    """Move customers (in ``order``) to offer j on their best channel until ``need`` are moved, never
    past a channel's ``room`` and never taking an offer below its minimum (``spare``). ``choice[i]`` is the
    option the move replaces (−1: the contact is added, which takes a place of the household ``house[i]``,
    if ≥ 0, in ``house_room``); it becomes the new option. Returns the count."""
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
        elif house[i] >= 0:
            if house_room[house[i]] < 1:
                continue
            house_room[house[i]] -= 1
        room[k] -= 1
        choice[i] = j * K + k
        taken += 1
    return taken


@njit(cache=True, nogil=True)
def removable_in_order(option: np.ndarray, order: np.ndarray, spare: np.ndarray, K: int) -> np.ndarray:
    """Of the packages ``option[order]`` (rows of options, −1 padded), those that can be dropped whole without
    breaking an offer minimum, taking them in that order (``spare``: contacts above each offer's minimum)."""
    left = spare.copy()
    ok = np.zeros(order.shape[0], np.bool_)
    for t in range(order.shape[0]):
        row = option[order[t]]
        fits = True
        for s in range(row.shape[0]):
            if row[s] >= 0:
                left[row[s] // K] -= 1
                if left[row[s] // K] < 0:
                    fits = False
        if fits:
            ok[t] = True
        else:
            for s in range(row.shape[0]):
                if row[s] >= 0:
                    left[row[s] // K] += 1
    return ok


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


# --------------------------------------------------------------------------- contact policies: packages
# With a contact policy (:mod:`mmo_pyomo.offers.policies`) a customer takes a package of contacts: at most cap[i]
# of them, at most D per offer (on different channels), keeping the exclusive and requires rules among the
# ``rule`` offers; a household takes at most H contacts in all. At fixed multipliers each customer's best package
# for every count c is found exactly: for each allowed subset T of the rule offers (each taking its best channel),
# the rest are the best positive contacts of the offers in no rule and the further channels of T's offers.

@njit(cache=True, nogil=True, inline="always")
def _offer_tops(P: np.ndarray, C: np.ndarray, E: np.ndarray, i: int, a: float, b: float, shift: np.ndarray, J: int,
                K: int, D: int, vals: np.ndarray, chans: np.ndarray, nv: np.ndarray) -> None:
    """Per offer j, the scores of its D best allowed channels for customer i, best first (vals[j, :nv[j]])."""
    for j in range(J):
        nv[j] = 0
        for k in range(K):
            o = j * K + k
            if not E[i, o]:
                continue
            r = a * P[i, o] - b * C[i, o] + shift[o]
            t = nv[j]
            if t < D:
                nv[j] += 1
            elif r <= vals[j, D - 1]:
                continue
            else:
                t = D - 1
            while t > 0 and vals[j, t - 1] < r:
                vals[j, t] = vals[j, t - 1]
                chans[j, t] = chans[j, t - 1]
                t -= 1
            vals[j, t] = r
            chans[j, t] = k


@njit(cache=True, nogil=True, inline="always")
def _pool(vals: np.ndarray, chans: np.ndarray, nv: np.ndarray, J: int, rule_pos: np.ndarray, T: int, limit: int,
          pv: np.ndarray, po: np.ndarray, pc: np.ndarray) -> int:
    """The positive contacts that may join the rule offers T, best ``limit`` first in pv/po/pc; returns how many."""
    m = 0
    for j in range(J):
        t = rule_pos[j]
        start = 0 if t < 0 else (1 if (T >> t) & 1 else nv[j])
        for s in range(start, nv[j]):
            if vals[j, s] <= 0.0:
                break
            pv[m] = vals[j, s]
            po[m] = j
            pc[m] = chans[j, s]
            m += 1
    top = min(limit, m)
    for s in range(top):                       # selection of the best ``top``, in order
        arg = s
        for u in range(s + 1, m):
            if pv[u] > pv[arg]:
                arg = u
        if arg != s:
            pv[s], pv[arg] = pv[arg], pv[s]
            po[s], po[arg] = po[arg], po[s]
            pc[s], pc[arg] = pc[arg], pc[s]
    return top


@njit(cache=True, nogil=True, inline="always")
def _customer_best(vals: np.ndarray, nv: np.ndarray, chans: np.ndarray, J: int, D: int, capi: int, rule: np.ndarray,
                   rule_pos: np.ndarray, valid: np.ndarray, req: np.ndarray, pv: np.ndarray, po: np.ndarray,
                   pc: np.ndarray, best: np.ndarray, bestT: np.ndarray, beste: np.ndarray) -> None:
    """best[c] (c = 0..capi): the customer's best package value with at most c contacts, from the rule offers
    bestT[c] and beste[c] further contacts."""
    for c in range(capi + 1):
        best[c] = 0.0
        bestT[c] = 0
        beste[c] = 0
    if capi == 0:
        return
    r = rule.shape[0]
    # with one copy per offer, the rule offers of T have no further channels: every T shares the free pool
    top_free = _pool(vals, chans, nv, J, rule_pos, 0, capi, pv, po, pc) if D == 1 else 0
    useful = 0
    avail = 0
    for t in range(r):
        if nv[rule[t]] > 0:
            avail |= 1 << t
            if vals[rule[t], 0] > 0.0:
                useful |= 1 << t
    grown = -1
    while grown != useful:                     # an offer with a score ≤ 0 helps only when a useful one needs it
        grown = useful
        for t in range(r):
            if (useful >> t) & 1:
                useful |= req[t]
        useful &= avail
    T = useful
    while True:
        if valid[T]:
            size = 0
            base = 0.0
            for t in range(r):
                if (T >> t) & 1:
                    size += 1
                    base += vals[rule[t], 0]
            if size <= capi:
                top = min(top_free, capi - size) if D == 1 else \
                    _pool(vals, chans, nv, J, rule_pos, T, capi - size, pv, po, pc)
                acc = base
                for e in range(top + 1):
                    if e > 0:
                        acc += pv[e - 1]
                    if acc > best[size + e]:
                        best[size + e] = acc
                        bestT[size + e] = T
                        beste[size + e] = e
        if T == 0:
            break
        T = (T - 1) & useful
    for c in range(1, capi + 1):               # at most c contacts
        if best[c - 1] >= best[c]:
            best[c] = best[c - 1]
            bestT[c] = bestT[c - 1]
            beste[c] = beste[c - 1]


@njit(cache=True, nogil=True, inline="always")
def _take(i: int, o: int, s: int, P: np.ndarray, C: np.ndarray, counts: np.ndarray, out: np.ndarray,
          write: bool) -> tuple[float, float]:
    """Count option o of customer i (and with ``write`` store it in out[i, s]); returns its (profit, cost)."""
    counts[o] += 1
    if write:
        out[i, s] = o
    return P[i, o], C[i, o]


@njit(cache=True, nogil=True, inline="always")
def _take_package(i: int, T: int, e: int, vals: np.ndarray, chans: np.ndarray, nv: np.ndarray, J: int, K: int,
                  rule: np.ndarray, rule_pos: np.ndarray, pv: np.ndarray, po: np.ndarray, pc: np.ndarray,
                  P: np.ndarray, C: np.ndarray, counts: np.ndarray, out: np.ndarray, write: bool) -> tuple[float, float]:
    """Count (and with ``write`` store in out[i]) the package (T, e) of customer i; returns its (profit, cost)."""
    profit = 0.0
    cost = 0.0
    s = 0
    for t in range(rule.shape[0]):
        if (T >> t) & 1:
            p, c = _take(i, rule[t] * K + chans[rule[t], 0], s, P, C, counts, out, write)
            profit += p
            cost += c
            s += 1
    if e > 0:
        _pool(vals, chans, nv, J, rule_pos, T, e, pv, po, pc)
        for u in range(e):
            p, c = _take(i, po[u] * K + pc[u], s, P, C, counts, out, write)
            profit += p
            cost += c
            s += 1
    if write:
        for u in range(s, out.shape[1]):
            out[i, u] = -1
    return profit, cost


@njit(cache=True, nogil=True)
def package_pass(P: np.ndarray, C: np.ndarray, E: np.ndarray, a: float, b: float, shift: np.ndarray, J: int, K: int,
                 D: int, cap: np.ndarray, rule: np.ndarray, valid: np.ndarray, req: np.ndarray, order: np.ndarray,
                 starts: np.ndarray, H: int, counts: np.ndarray, out: np.ndarray,
                 write: bool) -> tuple[float, float, float]:
    """One Lagrangian evaluation under a contact policy: every customer (with ``starts``, every household:
    customers order[starts[g]:starts[g+1]], at most H contacts in all) takes its best allowed package.

    Reduced profit of option o: a·profit − b·cost + shift[o]. Adds the packages' options to ``counts``, with
    ``write`` stores them in ``out`` (n, M; −1 padded), and returns (Σ reduced profit, Σ profit, Σ cost).
    """
    n = P.shape[0]
    M = 0
    for i in range(n):
        M = max(M, cap[i])
    vals = np.empty((J, D))
    chans = np.empty((J, D), np.int64)
    nv = np.empty(J, np.int64)
    size = max(J * D, 1)
    pv = np.empty(size)
    po = np.empty(size, np.int64)
    pc = np.empty(size, np.int64)
    rule_pos = np.full(J, -1, np.int64)
    for t in range(rule.shape[0]):
        rule_pos[rule[t]] = t
    value = 0.0
    profit = 0.0
    cost = 0.0
    households = starts.shape[0] > 0
    groups = starts.shape[0] - 1 if households else n
    G = 1
    for g in range(groups if households else 0):
        G = max(G, starts[g + 1] - starts[g])
    best = np.empty((G, M + 1))                 # scratch, allocated once: per member, per count
    bestT = np.empty((G, M + 1), np.int64)
    beste = np.empty((G, M + 1), np.int64)
    take = np.empty(G, np.int64)
    f = np.empty(H + 1)
    f2 = np.empty(H + 1)
    dec = np.empty((G, H + 1), np.int64)
    for g in range(groups):
        s0 = starts[g] if households else g
        m = starts[g + 1] - s0 if households else 1
        room = 0
        for s in range(m):
            i = order[s0 + s] if households else s0
            if cap[i] > 0 and _top_option(P, C, E, i, a, b, shift, 0.0)[1] >= 0:
                _offer_tops(P, C, E, i, a, b, shift, J, K, D, vals, chans, nv)
                _customer_best(vals, nv, chans, J, D, cap[i], rule, rule_pos, valid, req, pv, po, pc, best[s],
                               bestT[s], beste[s])
            else:                               # no contact, or none worth anything: the empty package
                for c in range(cap[i] + 1):
                    best[s, c] = 0.0
                    bestT[s, c] = 0
                    beste[s, c] = 0
            room += cap[i]
            take[s] = cap[i]
        if households and room > H:             # the household's contacts: a knapsack over its members
            f[:] = 0.0
            for s in range(m):
                i = order[s0 + s]
                for h in range(H + 1):
                    top = -np.inf
                    arg = 0
                    for c in range(min(cap[i], h) + 1):
                        v = f[h - c] + best[s, c]
                        if v > top:
                            top = v
                            arg = c
                    f2[h] = top
                    dec[s, h] = arg
                f[:] = f2
            h = H
            for s in range(m - 1, -1, -1):
                take[s] = dec[s, h]
                h -= take[s]
        for s in range(m):
            i = order[s0 + s] if households else s0
            c = take[s]
            value += best[s, c]
            if bestT[s, c] == 0 and beste[s, c] == 0:
                if write:
                    for u in range(out.shape[1]):
                        out[i, u] = -1
                continue
            if households and m > 1:            # the tables were the last member's
                _offer_tops(P, C, E, i, a, b, shift, J, K, D, vals, chans, nv)
            p, q = _take_package(i, bestT[s, c], beste[s, c], vals, chans, nv, J, K, rule, rule_pos, pv, po, pc,
                                 P, C, counts, out, write)
            profit += p
            cost += q
    return value, profit, cost
