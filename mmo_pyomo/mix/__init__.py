"""Marketing mix optimization: one model run (built, started, solved and checked in one place) and what is
built on it: the solve with its certificate, the chord start, the improvement, the relaxations, the Pareto
curve and the instances of the paper's experiment."""
