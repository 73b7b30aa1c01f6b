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
from mmo_pyomo.offers.coupling import Rows, reduced_profit_terms
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

    ``choice`` is the plan (−1 or a flat option); ``score`` protects what matters; the fill offers
    ``fill_option`` (−1: none) to the customers without an offer, highest ``fill_key`` first.
    """

    prob: OfferProblem
    choice: np.ndarray
    score: Score
    fill_option: np.ndarray
    fill_key: np.ndarray


# ---------------------------------------------------------------- run where a piece lives
def piece_option_counts(piece: Piece) -> np.ndarray:
    """How many customers hold each flat option."""
    J, K = len(piece.prob.offers), len(piece.prob.channels)
    return np.bincount(piece.choice[piece.choice >= 0], minlength=J * K)


def piece_current_scores(piece: Piece) -> np.ndarray:
    """The score of each customer's current option (0 for no offer)."""
    prob, s = piece.prob, piece.score
    n = prob.n_customers
    out = np.empty(n, np.float64)
    kernels.chosen_scores(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), piece.choice, s.a, s.b, s.shift, out)
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


def piece_minimum_candidates(piece: Piece, j: int, room: np.ndarray, spare: np.ndarray,
                             limit: int) -> tuple[np.ndarray, ...]:
    """The customers that could take offer j (eligible, with room on a channel, not holding j, free
    to leave their offer), cheapest move first: (positions, best channel, option now, loss), at most
    ``limit`` of them, and how many there are in all."""
    prob, K = piece.prob, len(piece.prob.channels)
    sj = piece.score.offer(prob, j)                               # (n, K) score of offer j per channel
    sj = np.where(room[None, :] > 0, sj, NEG)
    k_best = sj.argmax(axis=1)
    gain = sj[np.arange(len(k_best)), k_best]
    offer_now = np.where(piece.choice >= 0, piece.choice // K, -1)
    can_leave = (offer_now < 0) | (spare[np.maximum(offer_now, 0)] > 0)
    cand = np.flatnonzero(np.isfinite(gain) & (offer_now != j) & can_leave)
    loss = piece_current_scores(piece)[cand] - gain[cand]
    order = smallest_first(loss, limit)
    pos = cand[order]
    return pos, k_best[pos], piece.choice[pos], loss[order], np.array(len(cand))


def piece_chosen(piece: Piece) -> tuple[np.ndarray, ...]:
    """The customers holding an offer: (positions, option, profit, cost, score)."""
    prob = piece.prob
    n = prob.n_customers
    pos = np.flatnonzero(piece.choice >= 0)
    opt = piece.choice[pos]
    return (pos, opt, prob.profit.reshape(n, -1)[pos, opt].astype(np.float64),
            prob.cost.reshape(n, -1)[pos, opt].astype(np.float64), piece_current_scores(piece)[pos])


def piece_fill_candidates(piece: Piece, limit: int) -> tuple[np.ndarray, ...]:
    """The customers without an offer that have a fill option, highest key first (at most
    ``limit``): (positions, option, profit, cost, key)."""
    prob = piece.prob
    n = prob.n_customers
    cand = np.flatnonzero((piece.choice < 0) & (piece.fill_option >= 0))
    pos = cand[smallest_first(-piece.fill_key[cand], limit)]
    opt = piece.fill_option[pos]
    return (pos, opt, prob.profit.reshape(n, -1)[pos, opt].astype(np.float64),
            prob.cost.reshape(n, -1)[pos, opt].astype(np.float64), piece.fill_key[pos])


def piece_cheapest_cost(piece: Piece) -> float:
    """The smallest cost of any allowed option (inf if none); cached on the problem."""
    prob = piece.prob
    if "cheapest_cost" not in prob.extra:
        prob.extra["cheapest_cost"] = float(kernels.min_allowed_cost(prob.cost.reshape(-1), prob.eligible.reshape(-1),
                                                                     False))
    return prob.extra["cheapest_cost"]


def piece_set(piece: Piece, pos: np.ndarray, options: np.ndarray) -> Piece:
    """The piece with the customers at ``pos`` given ``options`` (−1: no offer)."""
    if not len(pos):
        return piece
    choice = piece.choice.copy()
    choice[pos] = options
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


def _scatter_back(n_pieces: int, piece: np.ndarray, pos: np.ndarray, options: np.ndarray) -> list[tuple]:
    return [(pos[piece == i], options[piece == i]) for i in range(n_pieces)]


def _counts(shell: OfferProblem, option_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = option_counts.reshape(len(shell.offers), len(shell.channels))
    return c.sum(axis=1), c.sum(axis=0)


def meet_minimums(pieces: Pieces, shell: OfferProblem) -> None:
    """Give each offer under its minimum to the customers it costs least (in score) to switch."""
    K, n_pieces = len(shell.channels), len(pieces)
    for _ in range(3):
        offer_counts, _ = _counts(shell, np.sum(pieces.map(piece_option_counts), axis=0))
        short = np.flatnonzero(offer_counts < shell.min_offers)
        if not len(short):
            return
        for j in short:
            offer_counts, channel_counts = _counts(shell, np.sum(pieces.map(piece_option_counts), axis=0))
            need = int(shell.min_offers[j] - offer_counts[j])
            room, spare = shell.capacity - channel_counts, offer_counts - shell.min_offers
            limit = need + 64
            while True:
                found = pieces.map(piece_minimum_candidates, int(j), room, spare, limit)
                piece, pos, k_best, option_now, _ = _merge([f[:4] for f in found], key=3)
                # the merged order is the global one only up to the last candidate of a truncated piece
                ends = [np.flatnonzero(piece == i).max(initial=-1) for i, f in enumerate(found) if int(f[4]) > limit]
                valid = min(ends) + 1 if ends else len(pos)
                choice = option_now[:valid].copy()
                offer_now = np.where(choice >= 0, choice // K, -1)
                taken = kernels.assign_in_order(np.arange(valid), k_best[:valid], offer_now, choice,
                                                room.astype(np.float64), spare.astype(np.float64), int(j), K, need)
                if taken >= need or not ends:
                    break
                limit *= 4
            moved = choice != option_now[:valid]
            pieces.update(piece_set, _scatter_back(n_pieces, piece[:valid][moved], pos[:valid][moved], choice[moved]))


def _removable(shell: OfferProblem, option: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Of the customers in ``order`` (all holding an offer), those that can lose it without breaking
    an offer minimum, taking them in that order. ``option`` is every listed customer's option."""
    K = len(shell.channels)
    offer_of = option[order] // K
    held = option[option >= 0] // K
    spare = np.bincount(held, minlength=len(shell.offers)) - shell.min_offers
    rank = np.zeros(len(order), np.int64)
    for j in np.unique(offer_of):
        sel = offer_of == j
        rank[sel] = np.arange(sel.sum())
    return order[rank < spare[offer_of]]


def enforce_capacities(shell: OfferProblem, option: np.ndarray, score: np.ndarray) -> None:
    """Drop the lowest-score contacts of each channel over its capacity (minimums permitting).
    ``option`` lists the customers holding an offer (in customer order); drops become −1."""
    K = len(shell.channels)
    held = option >= 0
    channel_counts = np.bincount(option[held] % K, minlength=K)
    for k in np.flatnonzero(channel_counts > shell.capacity):
        excess = int(channel_counts[k] - shell.capacity[k])
        on_k = np.flatnonzero((option >= 0) & (option % K == k))
        order = on_k[np.argsort(score[on_k], kind="stable")]
        option[_removable(shell, option, order)[:excess]] = -1


def enforce_budget_and_hurdle(shell: OfferProblem, option: np.ndarray, p: np.ndarray, c: np.ndarray,
                              score: np.ndarray) -> None:
    """Drop contacts, lowest score per dollar first, until the budget and the ROI hurdle hold."""
    idx = np.flatnonzero(option >= 0)
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
    """Add customers without an offer, highest fill key first, while budget, hurdle and capacity allow.
    ``held`` are the options of the customers holding one, with their total ``cost`` and ``profit``."""
    K = len(shell.channels)
    _, channel_counts = _counts(shell, np.bincount(held, minlength=len(shell.offers) * K))
    piece, pos, opt, p_add, c_add, _ = (a[:limit] for a in _merge(pieces.map(piece_fill_candidates, limit), key=4,
                                                                 descending=True))
    cheapest = min(pieces.map(piece_cheapest_cost))
    taken = np.zeros(len(pos), np.bool_)
    kernels.fill_in_order(opt, p_add, c_add, K, taken, cost, profit, shell.budget, 1 + shell.hurdle_rate,
                          (shell.capacity - channel_counts).astype(np.float64), cheapest if np.isfinite(cheapest) else 0.0)
    pieces.update(piece_set, _scatter_back(len(pieces), piece[taken], pos[taken], opt[taken]))


def repair(pieces: Pieces, shell: OfferProblem, *, budget_step: bool = True, fill_limit: int = 200_000) -> None:
    """Make the pieces' plans together meet the campaign ``shell``'s rows: minimums, capacities,
    budget and hurdle (``budget_step``), then the fill (at most ``fill_limit`` candidates)."""
    meet_minimums(pieces, shell)
    piece, pos, opt, p, c, score = _merge(pieces.map(piece_chosen))
    option = opt.copy()
    enforce_capacities(shell, option, score)
    if budget_step:
        enforce_budget_and_hurdle(shell, option, p, c, score)
    dropped = option != opt
    pieces.update(piece_set, _scatter_back(len(pieces), piece[dropped], pos[dropped], option[dropped]))
    kept = option >= 0
    fill(pieces, shell, option[kept], float(c[kept].sum()), float(p[kept].sum()), fill_limit)


# --------------------------------------------------------------------------- the exact method's pieces
def _best_options(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's option of highest reduced profit, and that reduced profit (one compiled pass)."""
    n = prob.n_customers
    a, b, shift = reduced_profit_terms(prob, rows, lam)
    choice = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    kernels.best_options(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), prob.eligible.reshape(n, -1), a, b, shift,
                         choice, best)
    return choice, best


def exact_piece(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> Piece:
    """The customers of ``prob`` ready for the repair at ``lam``: scored by reduced profit, filled
    with their best option, starting from ``choice`` (default: the Lagrangian subproblem's plan)."""
    option, best = _best_options(prob, rows, lam)
    if choice is None:
        choice = np.where(best > 0, option, -1)
    return Piece(prob, choice, Score(*reduced_profit_terms(prob, rows, lam)),
                 np.where(np.isfinite(best), option, -1), best)


def repair_plan(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> np.ndarray:
    """Make ``choice`` (default: the Lagrangian subproblem's plan at ``lam``) feasible, losing as
    little reduced profit at ``lam`` as possible."""
    pieces = LocalPieces([exact_piece(prob, rows, lam, choice)])
    repair(pieces, prob)
    return pieces.pieces[0].choice
