"""From multipliers to a feasible integer plan, and the greedy fill shared by the heuristics.

The plan x(λ*) of the Lagrangian subproblem meets the coupling rows up to the few customers
that an LP optimum would split. The repair walks the rows in a fixed order, changing as few
customers as possible and always those whose ``score`` says they matter least: minimums first,
then capacities, then budget and hurdle; finally spare budget is filled.

The customers may live in one process or in partitions on Dask workers. Either way they are
held as :class:`Piece` objects, and :func:`repair` is the one driver of the steps: every step is
a sort over all customers followed by a walk in that order, so each piece sends its own sorted
candidates (a few arrays of the customers that can change, never the scores), the driver merges
them in the global order and walks them, and the changes go back to the pieces. The plan is
therefore the same however the customers are partitioned.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.coupling import Rows, package_oracle, reduced_profit_terms
from mmo_pyomo.offers.policies import active, plan_width
from mmo_pyomo.offers.problem import OfferProblem

NEG = np.float32(-np.inf)


@dataclass(frozen=True)
class Score:
    """A linear score of each option o: a·profit − b·cost + shift[o] (options flat, offer·K + channel).

    The exact method scores by reduced profit at the multipliers, greedy by profit − cost.
    """

    a: float
    b: float
    shift: np.ndarray

    def offer(self, prob: OfferProblem, j: int) -> np.ndarray:
        """(n, K) score of offer j on each channel, −inf where it is not allowed (one compiled pass)."""
        n, J, K = prob.shape
        out = np.empty((n, K), np.float64)
        kernels.offer_scores(prob.profit.reshape(n, J * K), prob.cost.reshape(n, J * K), prob.eligible.reshape(n, J * K),
                             j, K, self.a, self.b, self.shift, out)
        return out


@dataclass(frozen=True)
class Piece:
    """The customers of one partition and their plan while it is repaired.

    ``choice`` is the plan (−1 or a flat option per customer; under a contact policy, a row of options per
    customer); ``score`` protects what matters; the fill offers ``fill_option`` (−1: none) to the customers
    without an offer, highest ``fill_key`` first.
    """

    prob: OfferProblem
    choice: np.ndarray
    score: Score
    fill_option: np.ndarray
    fill_key: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        """The plan as rows of options, (n, M) (a view)."""
        return self.choice.reshape(len(self.choice), -1)


# ---------------------------------------------------------------- run where a piece lives
def piece_option_counts(piece: Piece) -> np.ndarray:
    """How many customers hold each flat option."""
    J, K = len(piece.prob.offers), len(piece.prob.channels)
    return np.bincount(piece.choice[piece.choice >= 0], minlength=J * K)


def piece_current_scores(piece: Piece) -> np.ndarray:
    """The score of each customer's current options (0 for no offer)."""
    prob, s = piece.prob, piece.score
    n = prob.n_customers
    out = np.empty(n, np.float64)
    kernels.chosen_scores(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), piece.rows, s.a, s.b, s.shift, out)
    return out


def smallest_first(values: np.ndarray, limit: int) -> np.ndarray:
    """``np.argsort(values, kind="stable")[:limit]`` without sorting them all: the ``limit`` smallest, ties
    taken in position order, in that order. One partition pass, then a sort of the ``limit`` chosen."""
    if limit >= len(values):
        return np.argsort(values, kind="stable")
    if limit <= 0:
        return np.zeros(0, np.int64)
    threshold = np.partition(values, limit - 1)[limit - 1]
    below = np.flatnonzero(values < threshold)
    tied = np.flatnonzero(values == threshold)[:limit - len(below)]
    chosen = np.concatenate([below, tied])
    chosen.sort()                                     # position order, so that the stable sort breaks ties alike
    return chosen[np.argsort(values[chosen], kind="stable")]


def _house_room(piece: Piece) -> tuple[np.ndarray, np.ndarray]:
    """(household id per customer, places left in each customer's household) under the piece's plan; ids −1 and
    room unlimited without a household rule."""
    policy = piece.prob.policy
    n = piece.prob.n_customers
    if policy is None or policy.household is None or policy.rules.max_offers_per_household is None:
        return np.full(n, -1, np.int64), np.full(n, np.iinfo(np.int64).max // 4, np.int64)
    houses, code = policy.house_codes()
    load = np.bincount(code, weights=(piece.rows >= 0).sum(axis=1), minlength=len(houses))
    return policy.household, policy.rules.max_offers_per_household - load[code].astype(np.int64)


def _may_add(piece: Piece, j: int, after: int = -1) -> np.ndarray:
    """Per customer, whether the policy lets offer j join the customer's current package, once offer ``after`` has
    joined it too (≥ 0; −1: nothing else). A customer without a policy may take an offer only when it has none."""
    rows, policy, K = piece.rows, piece.prob.policy, len(piece.prob.channels)
    count = (rows >= 0).sum(axis=1) + (after >= 0)
    if policy is None:
        return count == 0
    r = policy.rules
    offers_held = np.where(rows >= 0, rows // K, -1)

    def held(x: int) -> np.ndarray:
        return (offers_held == x).any(axis=1) | (x == after)
    ok = (count < policy.customer_cap()) & ((offers_held == j).sum(axis=1) + (after == j) < r.max_per_offer_per_customer)
    for x, y in r.exclusive:
        if j in (x, y):
            ok &= ~held(y if j == x else x)
    for b, a in r.requires:
        if b == j:
            ok &= held(a)
    return ok


def piece_minimum_candidates(piece: Piece, j: int, room: np.ndarray, spare: np.ndarray,
                             limit: int, then: int = -1) -> tuple[np.ndarray, ...]:
    """The customers that could take offer j (eligible, with room on a channel, and either free to add it or holding
    one other offer that they are free to leave), cheapest move first: (positions, best channel, option replaced
    (−1: added), loss, household (−1: none or no place taken), places left in it), at most ``limit`` of them, and
    how many there are in all.

    With ``then`` ≥ 0 (an offer that requires j), only customers who may add j and then ``then`` are candidates,
    and the loss counts both.
    """
    prob, K = piece.prob, len(piece.prob.channels)
    rows = piece.rows
    sj = piece.score.offer(prob, j)                               # (n, K) score of offer j per channel
    sj = np.where(room[None, :] > 0, sj, NEG)
    if rows.shape[1] > 1:                                         # an option already held is not taken twice
        for s in range(rows.shape[1]):
            on_j = np.flatnonzero((rows[:, s] >= 0) & (rows[:, s] // K == j))
            sj[on_j, rows[on_j, s] % K] = NEG
    k_best = sj.argmax(axis=1)
    gain = sj[np.arange(len(k_best)), k_best]
    count = (rows >= 0).sum(axis=1)
    single = np.where(count == 1, rows.max(axis=1), -1)           # the one option of a customer holding one
    offer_now = np.where(single >= 0, single // K, -1)
    policy = prob.policy
    alone = True if policy is None else bool(policy.rules.alone(len(prob.offers))[j])
    may_replace = (single >= 0) & (offer_now != j) & (spare[np.maximum(offer_now, 0)] > 0) & alone
    may_add = _may_add(piece, j)
    house, house_room = _house_room(piece)
    may_add &= house_room > 0
    current = piece_current_scores(piece)
    add_loss, replace_loss = -gain, current - gain
    if then >= 0:
        may_replace = np.zeros_like(may_add)
        follow = _may_follow(piece, j, then, room)
        may_add &= np.isfinite(follow) & (house_room > 1)
        add_loss = add_loss - np.where(np.isfinite(follow), follow, 0.0)
    adds = may_add & (~may_replace | (add_loss <= replace_loss))
    cand = np.flatnonzero(np.isfinite(gain) & (adds | may_replace))
    loss = np.where(adds, add_loss, replace_loss)[cand]
    order = smallest_first(loss, limit)
    pos = cand[order]
    leaving = np.where(adds[pos], -1, single[pos])
    return (pos, k_best[pos], leaving, loss[order], np.where(adds[pos], house[pos], -1), house_room[pos],
            np.array(len(cand)))


def _may_follow(piece: Piece, j: int, then: int, room: np.ndarray) -> np.ndarray:
    """Per customer, the best score of offer ``then`` once j is added (−inf where the policy would not allow it)."""
    best = np.where(room[None, :] > 0, piece.score.offer(piece.prob, then), NEG).max(axis=1)
    return np.where(_may_add(piece, then, after=j), best, -np.inf)


def piece_chosen(piece: Piece) -> tuple[np.ndarray, ...]:
    """The customers holding an offer: (positions, options (rows), profit, cost, score) per customer."""
    prob = piece.prob
    n = prob.n_customers
    rows = piece.rows
    pos = np.flatnonzero((rows >= 0).any(axis=1))
    opt = rows[pos]
    safe = np.maximum(opt, 0)
    held = opt >= 0
    P, C = prob.profit.reshape(n, -1), prob.cost.reshape(n, -1)
    p = np.where(held, P[pos[:, None], safe], 0.0).sum(axis=1, dtype=np.float64)
    c = np.where(held, C[pos[:, None], safe], 0.0).sum(axis=1, dtype=np.float64)
    return pos, opt, p, c, piece_current_scores(piece)[pos]


def piece_fill_candidates(piece: Piece, limit: int) -> tuple[np.ndarray, ...]:
    """The customers without an offer that have a fill option (and a place in their household), highest key first
    (at most ``limit``): (positions, option, profit, cost, key, household, places left in it), and how many there
    are in all."""
    prob = piece.prob
    n = prob.n_customers
    house, house_room = _house_room(piece)
    cand = np.flatnonzero(~(piece.rows >= 0).any(axis=1) & (piece.fill_option >= 0) & (house_room > 0))
    pos = cand[smallest_first(-piece.fill_key[cand], limit)]
    opt = piece.fill_option[pos]
    return (pos, opt, prob.profit.reshape(n, -1)[pos, opt].astype(np.float64),
            prob.cost.reshape(n, -1)[pos, opt].astype(np.float64), piece.fill_key[pos], house[pos], house_room[pos],
            np.array(len(cand)))


def piece_cheapest_cost(piece: Piece) -> float:
    """The smallest cost of any allowed option (inf if none); cached on the problem."""
    prob = piece.prob
    if "cheapest_cost" not in prob.extra:
        prob.extra["cheapest_cost"] = float(kernels.min_allowed_cost(prob.cost.reshape(-1), prob.eligible.reshape(-1),
                                                                     False))
    return prob.extra["cheapest_cost"]


def piece_put(piece: Piece, pos: np.ndarray, options: np.ndarray, leaving: np.ndarray) -> Piece:
    """The piece with each customer at ``pos`` given the option ``options`` in place of ``leaving`` (−1: in a free
    place of its package)."""
    if not len(pos):
        return piece
    choice = piece.choice.copy()
    rows = choice.reshape(len(choice), -1)
    slot = np.argmax(rows[pos] == np.asarray(leaving)[:, None], axis=1)
    rows[pos, slot] = options
    return replace(piece, choice=choice)


def piece_drop(piece: Piece, pos: np.ndarray) -> Piece:
    """The piece with the customers at ``pos`` holding no offer."""
    if not len(pos):
        return piece
    choice = piece.choice.copy()
    choice.reshape(len(choice), -1)[pos] = -1
    return replace(piece, choice=choice)


# ---------------------------------------------------------------- the driver
class Pieces(Protocol):
    """Where the pieces live: :class:`LocalPieces`, or Dask futures
    (:class:`mmo_pyomo.offers.partitioned.WorkerPieces`)."""

    def __len__(self) -> int: ...

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]: ...

    def update(self, func: Callable[..., Piece], args_per_piece: list[tuple]) -> None: ...


class LocalPieces:
    """Pieces in this process."""

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces

    def __len__(self) -> int:
        return len(self.pieces)

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        return [func(p, *args) for p in self.pieces]

    def update(self, func: Callable[..., Piece], args_per_piece: list[tuple]) -> None:
        self.pieces = [func(p, *a) for p, a in zip(self.pieces, args_per_piece)]


def _merge(parts: list[tuple[np.ndarray, ...]], key: int | None = None,
           descending: bool = False) -> tuple[np.ndarray, ...]:
    """Concatenate the pieces' arrays (positions first) with a ``piece`` column in front, in
    customer order, or sorted by column ``key`` and then customer order: the order that one
    stable sort over all customers would give."""
    piece = np.concatenate([np.full(len(p[0]), i, np.int64) for i, p in enumerate(parts)])
    cols = [np.concatenate([p[c] for p in parts]) for c in range(len(parts[0]))]
    if key is None:
        return (piece, *cols)
    k = -cols[key] if descending else cols[key]
    order = np.lexsort((cols[0], piece, k))
    return (piece[order], *[c[order] for c in cols])


def _scatter_back(n_pieces: int, piece: np.ndarray, *columns: np.ndarray) -> list[tuple]:
    """Per piece, its rows of ``columns`` (positions first)."""
    return [tuple(c[piece == i] for c in columns) for i in range(n_pieces)]


def _counts(shell: OfferProblem, option_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = option_counts.reshape(len(shell.offers), len(shell.channels))
    return c.sum(axis=1), c.sum(axis=0)


def _house_places(house: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compact household codes of the candidates (−1: none) and the places left in each household."""
    code = np.full(len(house), -1, np.int64)
    has = house >= 0
    if not has.any():
        return code, np.zeros(0, np.float64)
    ids, inv = np.unique(house[has], return_inverse=True)
    code[has] = inv
    places = np.zeros(len(ids), np.float64)
    places[inv] = room[has]
    return code, places


def meet_minimums(pieces: Pieces, shell: OfferProblem) -> None:
    """Give each offer under its minimum to the customers it costs least (in score) to switch or to add it to. An
    offer that requires another and stays short is given, with that other offer first, to customers with room for
    both."""
    needs = {} if shell.policy is None else {b: a for b, a in shell.policy.rules.requires}
    for _ in range(3):
        offer_counts, _ = _counts(shell, np.sum(pieces.map(piece_option_counts), axis=0))
        short = np.flatnonzero(offer_counts < shell.min_offers)
        if not len(short):
            return
        for j in short:
            left = _give(pieces, shell, int(j))
            if left > 0 and int(j) in needs:
                _give(pieces, shell, needs[int(j)], left, then=int(j))
                _give(pieces, shell, int(j))


def _give(pieces: Pieces, shell: OfferProblem, j: int, need: int | None = None, then: int = -1) -> int:
    """Give offer j to ``need`` more customers (default: up to its minimum), cheapest move first; returns how many
    it could not reach."""
    K, n_pieces = len(shell.channels), len(pieces)
    offer_counts, channel_counts = _counts(shell, np.sum(pieces.map(piece_option_counts), axis=0))
    if need is None:
        need = int(shell.min_offers[j] - offer_counts[j])
    if need <= 0:
        return 0
    room, spare = shell.capacity - channel_counts, offer_counts - shell.min_offers
    limit = need + 64
    while True:
        found = pieces.map(piece_minimum_candidates, j, room, spare, limit, then)
        piece, pos, k_best, leaving, _, house, house_room = _merge([f[:6] for f in found], key=3)
        # the merged order is the global one only up to the last candidate of a truncated piece
        ends = [np.flatnonzero(piece == i).max(initial=-1) for i, f in enumerate(found) if int(f[6]) > limit]
        valid = min(ends) + 1 if ends else len(pos)
        choice = leaving[:valid].copy()
        offer_now = np.where(choice >= 0, choice // K, -1)
        code, places = _house_places(house[:valid], house_room[:valid] - (1 if then >= 0 else 0))
        taken = kernels.assign_in_order(np.arange(valid), k_best[:valid], offer_now, choice,
                                        room.astype(np.float64), spare.astype(np.float64), j, K, need, code, places)
        if taken >= need or not ends:
            break
        limit *= 4
    moved = choice != leaving[:valid]
    pieces.update(piece_put, _scatter_back(n_pieces, piece[:valid][moved], pos[:valid][moved], choice[moved],
                                           leaving[:valid][moved]))
    return need - int(taken)


def _removable(shell: OfferProblem, option: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Of the customers in ``order`` (all holding an offer), those that can lose their package without breaking
    an offer minimum, taking them in that order. ``option`` is every listed customer's options (rows)."""
    K = len(shell.channels)
    held = option[option >= 0] // K
    spare = (np.bincount(held, minlength=len(shell.offers)) - shell.min_offers).astype(np.int64)
    return order[kernels.removable_in_order(option, order, spare, K)]


def enforce_capacities(shell: OfferProblem, option: np.ndarray, score: np.ndarray) -> None:
    """Drop the lowest-score packages holding contacts of each channel over its capacity (minimums permitting).
    ``option`` lists the packages (rows, in customer order); drops become −1."""
    K = len(shell.channels)
    channel_counts = np.bincount(option[option >= 0] % K, minlength=K)
    for k in np.flatnonzero(channel_counts > shell.capacity):
        excess = int(channel_counts[k] - shell.capacity[k])
        uses = ((option >= 0) & (option % K == k)).sum(axis=1)
        on_k = np.flatnonzero(uses > 0)
        order = _removable(shell, option, on_k[np.argsort(score[on_k], kind="stable")])
        n_drop = int(np.searchsorted(np.cumsum(uses[order]), excess)) + 1
        option[order[:n_drop]] = -1


def enforce_budget_and_hurdle(shell: OfferProblem, option: np.ndarray, p: np.ndarray, c: np.ndarray,
                              score: np.ndarray) -> None:
    """Drop packages, lowest score per dollar first, until the budget and the ROI hurdle hold."""
    idx = np.flatnonzero((option >= 0).any(axis=1))
    cost, profit = c[idx].sum(), p[idx].sum()
    h = 1 + shell.hurdle_rate
    if cost <= shell.budget and profit >= h * cost:
        return
    order = idx[np.argsort(score[idx] / np.maximum(c[idx], 1e-9), kind="stable")]
    order = _removable(shell, option, order)
    cum_c, cum_p = np.cumsum(c[order]), np.cumsum(p[order])
    ok = (cost - cum_c <= shell.budget * (1 + 1e-12)) & (profit - cum_p >= h * (cost - cum_c))
    n_drop = int(np.argmax(ok)) + 1 if ok.any() else len(order)
    option[order[:n_drop]] = -1


def fill(pieces: Pieces, shell: OfferProblem, held: np.ndarray, cost: float, profit: float,
         limit: int = 200_000) -> None:
    """Add customers without an offer, highest fill key first, while budget, hurdle, capacity and households
    allow, among the first ``limit`` candidates. ``held`` are the options held, with their total ``cost`` and
    ``profit``. Each piece sends its best candidates, a few thousand first and four times more while the walk
    gets past the last one a piece sent before the budget runs out: the walk is the one over all candidates, and
    the driver never holds every piece's ``limit`` candidates (92 pieces × 200,000 took 5 GB at 25 M customers)."""
    K = len(shell.channels)
    _, channel_counts = _counts(shell, np.bincount(held, minlength=len(shell.offers) * K))
    cheapest = min(pieces.map(piece_cheapest_cost))
    room = (shell.capacity - channel_counts).astype(np.float64)
    per = min(limit, 4096)
    while True:
        found = pieces.map(piece_fill_candidates, per)
        piece, pos, opt, p_add, c_add, _, house, house_room = _merge([f[:7] for f in found], key=4, descending=True)
        ends = [np.flatnonzero(piece == i).max(initial=-1) for i, f in enumerate(found) if int(f[7]) > per]
        valid = min(min(ends) + 1 if ends else len(pos), limit)
        taken = np.zeros(valid, np.bool_)
        code, places = _house_places(house[:valid], house_room[:valid])
        _, stop = kernels.fill_in_order(opt[:valid], p_add[:valid], c_add[:valid], K, taken, cost, profit,
                                        shell.budget, 1 + shell.hurdle_rate, room.copy(),
                                        cheapest if np.isfinite(cheapest) else 0.0, code, places)
        if stop < valid or valid >= limit or not ends:
            break
        per = min(per * 4, limit)
    piece, pos, opt = piece[:valid], pos[:valid], opt[:valid]
    pieces.update(piece_put, _scatter_back(len(pieces), piece[taken], pos[taken], opt[taken],
                                           np.full(int(taken.sum()), -1, np.int64)))


def repair(pieces: Pieces, shell: OfferProblem, *, budget_step: bool = True, fill_limit: int = 200_000) -> None:
    """Make the pieces' plans together meet the campaign ``shell``'s rows: minimums, capacities,
    budget and hurdle (``budget_step``), then the fill (at most ``fill_limit`` candidates). Every step keeps the
    contact policy: a package is dropped whole, and a contact is added only where the policy allows it."""
    meet_minimums(pieces, shell)
    piece, pos, opt, p, c, score = _merge(pieces.map(piece_chosen))
    option = opt.copy()
    enforce_capacities(shell, option, score)
    if budget_step:
        enforce_budget_and_hurdle(shell, option, p, c, score)
    dropped = (option != opt).any(axis=1)
    pieces.update(piece_drop, _scatter_back(len(pieces), piece[dropped], pos[dropped]))
    kept = (option >= 0).any(axis=1)
    fill(pieces, shell, option[option >= 0], float(c[kept].sum()), float(p[kept].sum()), fill_limit)


# --------------------------------------------------------------------------- the exact method's pieces
def single_allowed(prob: OfferProblem) -> np.ndarray:
    """(n, J·K) options a customer without an offer may take alone: eligible and, under a contact policy, for a
    customer who may be contacted and an offer that requires no other."""
    n = prob.n_customers
    E = prob.eligible.reshape(n, -1)
    if not active(prob.policy):
        return E
    assert prob.policy is not None
    J, K = len(prob.offers), len(prob.channels)
    alone = np.repeat(prob.policy.rules.alone(J), K)
    return E & alone[None, :] & (prob.policy.customer_cap() > 0)[:, None]


def empty_plan(prob: OfferProblem) -> np.ndarray:
    """A plan with no offer: one −1 per customer, or a row of them under a policy of several contacts."""
    width = plan_width(prob.policy)
    return np.full(prob.n_customers if width == 1 else (prob.n_customers, width), -1, np.int64)


def _best_options(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's option of highest reduced profit that it may take alone, and that reduced profit (one
    compiled pass)."""
    n = prob.n_customers
    a, b, shift = reduced_profit_terms(prob, rows, lam)
    choice = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    kernels.best_options(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), single_allowed(prob), a, b, shift,
                         choice, best)
    return choice, best


def lagrangian_plan(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> np.ndarray:
    """The Lagrangian subproblem's plan at ``lam`` under ``prob``'s contact policy: each customer's (household's)
    best allowed package."""
    n = prob.n_customers
    a, b, shift = reduced_profit_terms(prob, rows, lam)
    plan = empty_plan(prob)
    out = plan.reshape(n, -1)
    package_oracle(prob, (prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), prob.eligible.reshape(n, -1)), a, b,
                   shift, np.zeros(len(prob.offers) * len(prob.channels), np.int64), out)
    return plan


def exact_piece(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> Piece:
    """The customers of ``prob`` ready for the repair at ``lam``: scored by reduced profit, filled
    with their best option, starting from ``choice`` (default: the Lagrangian subproblem's plan)."""
    option, best = _best_options(prob, rows, lam)
    if choice is None:
        choice = lagrangian_plan(prob, rows, lam) if active(prob.policy) else np.where(best > 0, option, -1)
    return Piece(prob, choice, Score(*reduced_profit_terms(prob, rows, lam)),
                 np.where(np.isfinite(best), option, -1), best)


def repair_plan(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> np.ndarray:
    """Make ``choice`` (default: the Lagrangian subproblem's plan at ``lam``) feasible, losing as
    little reduced profit at ``lam`` as possible."""
    pieces = LocalPieces([exact_piece(prob, rows, lam, choice)])
    repair(pieces, prob)
    return pieces.pieces[0].choice
