"""The paper's method: cluster the customers, solve the LP on the clusters, assign within clusters."""
from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo import ranges
from mmo_pyomo.errors import MMOError, NoSolutionError
from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.coupling import coupling_rows, lp_multipliers
from mmo_pyomo.offers.offer_plan import OfferResult, finished
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.repair import repair_plan
from mmo_pyomo.solvers.capabilities import Capability
from mmo_pyomo.solvers.registry import ensure_installed, get_engine, handover
from mmo_pyomo.solvers.solve_model import solve_model
from mmo_pyomo.solvers.stats import Status

#: The cluster LP is linear and its duals are the marginal values.
LP_NEEDS = frozenset({Capability.LINEAR, Capability.DUALS})


def cluster_customers(prob: OfferProblem, clusters: int, seed: int = 0, sample: int = 200_000) -> np.ndarray:
    """MiniBatchKMeans on each customer's expected-profit vector (0 where not allowed)."""
    from sklearn.cluster import MiniBatchKMeans

    n = prob.n_customers
    features = prob.profit.reshape(n, -1)
    km = MiniBatchKMeans(n_clusters=min(clusters, n), random_state=seed, batch_size=4096, n_init=3,
                         max_no_improvement=20)
    rng = np.random.default_rng(seed)
    km.fit(features[rng.choice(n, size=min(sample, n), replace=False)])
    labels = np.empty(n, np.int64)
    for s in range(0, n, 500_000):
        labels[s:s + 500_000] = km.predict(features[s:s + 500_000])
    return labels


def cluster_lp(prob: OfferProblem, labels: np.ndarray, clusters: int) -> pyo.ConcreteModel:
    """The LP on clusters: s[c,j,k] customers of cluster c get offer j on channel k."""
    J, K = len(prob.offers), len(prob.channels)
    n = prob.n_customers
    elig, psum, csum = kernels.cluster_sums(labels, prob.profit.reshape(n, -1), prob.cost.reshape(n, -1),
                                            prob.eligible.reshape(n, -1), clusters)
    size = np.bincount(labels, minlength=clusters)
    with np.errstate(invalid="ignore", divide="ignore"):
        pbar, cbar = np.nan_to_num(psum / elig), np.nan_to_num(csum / elig)
    keys = [(c, o) for c, o in zip(*np.nonzero(elig))]
    m = pyo.ConcreteModel("cluster_lp")
    m.S = pyo.Set(initialize=keys, dimen=2)
    m.s = pyo.Var(m.S, bounds=lambda m, c, o: (0, elig[c, o]))
    profit = sum(pbar[c, o] * m.s[c, o] for c, o in keys)
    cost = sum(cbar[c, o] * m.s[c, o] for c, o in keys)
    by_cluster: dict[int, list] = {}
    for c, o in keys:
        by_cluster.setdefault(c, []).append(o)
    m.one_offer = pyo.Constraint(list(by_cluster), rule=lambda m, c: sum(m.s[c, o] for o in by_cluster[c]) <= size[c])
    m.budget = pyo.Constraint(expr=cost <= prob.budget)
    m.roi_hurdle = pyo.Constraint(expr=(1 + prob.hurdle_rate) * cost - profit <= 0)
    cap_ch = [k for k in range(K) if np.isfinite(prob.capacity[k])]
    m.capacity = pyo.Constraint(cap_ch, rule=lambda m, k: sum(m.s[c, o] for c, o in keys if o % K == k)
                                <= prob.capacity[k])
    min_off = [j for j in range(J) if prob.min_offers[j] > 0]
    m.minimum = pyo.Constraint(min_off, rule=lambda m, j: -sum(m.s[c, o] for c, o in keys if o // K == j)
                               <= -prob.min_offers[j])
    m.profit = pyo.Objective(expr=profit, sense=pyo.maximize)
    m._pbar = pbar
    return m


def solve_cluster(prob: OfferProblem, clusters: int = 200, lp_solver: str = "highs", seed: int = 0) -> OfferResult:
    """Cluster, solve the cluster LP (any LP engine of the registry), assign within each cluster, repair."""
    t0 = time.perf_counter()
    if prob.policy is not None and not prob.policy.rules.default:
        raise MMOError(f"the cluster method does not model contact policies, and '{prob.name}' has policies.json",
                       "use --method exact (certified, with the policies) or greedy")
    clusters = ranges.whole(clusters, "clusters", 1)
    engine = get_engine(lp_solver)
    handover(engine, LP_NEEDS, "the cluster LP")      # fail before clustering
    ensure_installed(engine)
    labels = cluster_customers(prob, clusters, seed)
    k_used = int(labels.max()) + 1
    model = cluster_lp(prob, labels, k_used)
    stats = solve_model(model, engine, LP_NEEDS, "the cluster LP", duals=True)
    if stats.status != Status.OPTIMAL or stats.duals is None:
        raise NoSolutionError(f"the cluster LP did not solve ({stats.status}: {stats.message})",
                              "check the campaign's constraints, or use more clusters")
    rows = coupling_rows(prob)
    lam = lp_multipliers(model, stats.duals, rows)
    choice = _assign_within_clusters(prob, labels, model)
    choice = repair_plan(prob, rows, lam, choice)
    return finished("cluster", prob, choice, None, t0, dict(zip(rows.names, lam.tolist())),
                   clusters=k_used, lp_bound=float(pyo.value(model.profit)))


def _assign_within_clusters(prob: OfferProblem, labels: np.ndarray, model: pyo.ConcreteModel) -> np.ndarray:
    """Within a cluster, option (j, k) goes to the ⌊s⌋ eligible customers with the highest profit for it,
    options taken in decreasing order of their cluster-average profit."""
    n = prob.n_customers
    choice = np.full(n, -1, np.int64)
    P = prob.profit.reshape(n, -1)
    E = prob.eligible.reshape(n, -1)
    members = {c: np.flatnonzero(labels == c) for c in np.unique(labels)}
    shares: dict[int, list] = {}
    for (c, o), var in model.s.items():
        count = int(np.floor(var.value + 1e-6)) if var.value else 0
        if count:
            shares.setdefault(c, []).append((model._pbar[c, o], o, count))
    for c, opts in shares.items():
        idx = members[c]
        for _, o, count in sorted(opts, reverse=True):
            free = idx[(choice[idx] < 0) & E[idx, o]]
            take = free[np.argsort(-P[free, o], kind="stable")][:count]
            choice[take] = o
    return choice
