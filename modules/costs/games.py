"""Cost games, exactly: SCRB, the nucleolus and the core, over ``Fraction``.

A cost game gives the cost c(S) of every group S of members acting alone together (a coalition), with
c(N) the cost of all of them together. Coalitions are bit masks over the members in code order (bit i is
the i-th member), so that the result does not depend on the order they were listed in.

The nucleolus is found by the sequence of linear programmes of Maschler, Peleg and Shapley (1979), each
solved here by a small simplex method on ``Fraction`` so that it is exact: no float tolerance decides
which coalitions are tight. Each programme is solved in its dual form, which has one row per free
variable (at most the number of members) and one column per coalition, so a pivot touches about
10 x 1,022 numbers for ten members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

__all__ = ["GameError", "core_violations", "in_core", "nucleolus", "scrb"]


class GameError(ValueError):
    """A game the method cannot allocate; ``member`` is the index of the member concerned, if one is."""

    def __init__(self, message: str, member: int | None = None) -> None:
        super().__init__(message)
        self.member = member


def _members_of(mask: int, n: int) -> list[int]:
    return [i for i in range(n) if mask >> i & 1]


# --- SCRB -------------------------------------------------------------------------------------------------


def scrb(n: int, cost: Sequence[Fraction]) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    """Separable costs, remaining benefits: (shares, separable costs, remaining benefits).

    Member i's separable cost is c(N) - c(N without i), what it adds by joining last; its remaining benefit
    is its stand-alone cost less that; the non-separable cost c(N) - sum of separable costs is split in
    proportion to the remaining benefits. Only c({i}), c(N without i) and c(N) are read.
    """
    full = (1 << n) - 1
    separable = [cost[full] - (cost[full & ~(1 << i)] if n > 1 else 0) for i in range(n)]
    remaining = [cost[1 << i] - separable[i] for i in range(n)]
    for i in range(n):
        if remaining[i] < 0:
            raise GameError(
                f"its stand-alone cost {cost[1 << i]} is less than its separable cost {separable[i]} "
                "(what the others save when it joins): SCRB needs stand-alone >= separable",
                i,
            )
    non_separable = cost[full] - sum(separable, Fraction(0))
    total_remaining = sum(remaining, Fraction(0))
    if non_separable < 0:
        raise GameError(
            f"the separable costs sum to {sum(separable, Fraction(0))}, more than the cost of all members "
            f"{cost[full]}: SCRB would charge a member less than nothing"
        )
    if total_remaining == 0:
        # Every member's stand-alone cost is its separable cost: nothing is left to weigh by, split equally.
        shares = [s + non_separable / n for s in separable]
    else:
        shares = [s + non_separable * r / total_remaining for s, r in zip(separable, remaining, strict=True)]
    return shares, separable, remaining


# --- the core ---------------------------------------------------------------------------------------------


def core_violations(
    n: int, cost: dict[int, Fraction], shares: Sequence[Fraction | int]
) -> list[tuple[int, Fraction, Fraction]]:
    """(coalition, what its members pay together, its own cost) for every given coalition that pays more than
    its own cost; the grand coalition is not checked here (its total is the amount)."""
    full = (1 << n) - 1
    result = []
    for mask in sorted(cost):
        if mask == full or mask == 0:
            continue
        paid = sum((Fraction(shares[i]) for i in _members_of(mask, n)), Fraction(0))
        if paid > cost[mask]:
            result.append((mask, paid, cost[mask]))
    return result


def in_core(n: int, cost: Sequence[Fraction], shares: Sequence[Fraction]) -> bool:
    full = (1 << n) - 1
    return sum(shares, Fraction(0)) == cost[full] and not core_violations(n, dict(enumerate(cost)), shares)


# --- exact linear algebra and simplex -----------------------------------------------------------------------


def _row_reduce(rows: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form of an augmented matrix (last column the right-hand side), and the pivots."""
    matrix = [row[:] for row in rows]
    pivots: list[int] = []
    width = len(matrix[0]) - 1 if matrix else 0
    r = 0
    for col in range(width):
        pick = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pick is None:
            continue
        matrix[r], matrix[pick] = matrix[pick], matrix[r]
        lead = matrix[r][col]
        matrix[r] = [v / lead for v in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][col] != 0:
                f = matrix[i][col]
                matrix[i] = [a - f * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(matrix):
            break
    return matrix[:r], pivots


def _affine(
    n: int, fixed: list[tuple[list[Fraction], Fraction]]
) -> tuple[list[Fraction], list[list[Fraction]]]:
    """x0 and a basis B of the solutions of the fixed equations: every solution is x0 + B w."""
    reduced, pivots = _row_reduce([[*a, b] for a, b in fixed])
    x0 = [Fraction(0)] * n
    for row, col in zip(reduced, pivots, strict=True):
        x0[col] = row[n]
    free = [c for c in range(n) if c not in pivots]
    basis = []
    for f in free:
        vector = [Fraction(0)] * n
        vector[f] = Fraction(1)
        for row, col in zip(reduced, pivots, strict=True):
            vector[col] = -row[f]
        basis.append(vector)
    return x0, basis


def _integer_row(values: list[Fraction]) -> tuple[list[int], int]:
    """A row of fractions as (integers, a positive denominator) with no common factor left."""
    den = math.lcm(*(v.denominator for v in values)) if values else 1
    ints = [v.numerator * (den // v.denominator) for v in values]
    return _reduced(ints, den)


def _reduced(ints: list[int], den: int) -> tuple[list[int], int]:
    if den < 0:
        ints, den = [-v for v in ints], -den
    g = math.gcd(den, *ints)
    if g > 1:
        ints, den = [v // g for v in ints], den // g
    return ints, den


def _simplex_dual(
    columns: list[list[Fraction]], costs: list[Fraction], target: list[Fraction]
) -> tuple[list[Fraction], list[int]]:
    """Minimise costs . y subject to sum_j y_j columns[j] = target and y >= 0 (feasible and bounded here).

    Two phases on a dense tableau with d rows and a row of reduced costs kept up to date by the pivots;
    Dantzig's rule, and Bland's rule after a run of degenerate pivots so that it cannot cycle. Returns y and
    the indices of the basic columns.

    Exact, and fast enough: each row is held as integers over one positive denominator (a pivot is integer
    multiplications and one gcd per row), which is the same rational tableau as with ``Fraction`` cells
    without a gcd per cell.
    """
    d, m = len(target), len(columns)
    zero, one = Fraction(0), Fraction(1)
    # Rows with a negative right-hand side are negated so that the artificial basis starts feasible.
    sign = [(-1 if t < 0 else 1) for t in target]
    rows: list[list[int]] = []
    dens: list[int] = []
    for r in range(d):
        values = [columns[j][r] for j in range(m)] if sign[r] > 0 else [-columns[j][r] for j in range(m)]
        values += [one if k == r else zero for k in range(d)]
        values.append(target[r] if sign[r] > 0 else -target[r])
        ints, den = _integer_row(values)
        rows.append(ints)
        dens.append(den)
    basis = [m + r for r in range(d)]
    width = m + d
    # Phase 1 minimises the sum of the artificial variables: its reduced costs are minus the column sums.
    rows.append([])
    dens.append(1)
    rows[d], dens[d] = _combination(
        [(-one, r) for r in range(d)], [zero] * m + [one] * d + [zero], rows, dens
    )

    def run(allowed: int) -> None:
        bland = False
        stalls = 0
        while True:
            reduced = rows[d]  # its denominator is positive: the signs are the integers' signs
            entering = -1
            if bland:
                entering = next((j for j in range(allowed) if reduced[j] < 0), -1)
            else:
                best = 0
                for j in range(allowed):
                    if reduced[j] < best:
                        best, entering = reduced[j], j
            if entering < 0:
                return
            leaving, ratio = -1, zero
            for r in range(d):
                a = rows[r][entering]
                if a > 0:
                    q = Fraction(rows[r][width], a)  # the row's denominator cancels
                    if leaving < 0 or q < ratio or (q == ratio and basis[r] < basis[leaving]):
                        leaving, ratio = r, q
            if leaving < 0:
                raise GameError("the linear programme is unbounded")  # cannot happen for these games
            stalls = stalls + 1 if ratio == 0 else 0
            if stalls > 2 * d:
                bland = True
            _pivot(rows, dens, basis, leaving, entering)

    run(width)
    if any(rows[r][width] != 0 for r in range(d) if basis[r] >= m):
        raise GameError("the linear programme has no solution")  # cannot happen for these games
    for r in range(d):
        if basis[r] >= m:  # an artificial variable left at zero: swap in any real column of its row
            j = next((j for j in range(m) if rows[r][j] != 0 and j not in basis), None)
            if j is not None:
                _pivot(rows, dens, basis, r, j)
    # Phase 2 on the real columns only: the reduced costs of the true objective, from the current basis.
    full_costs = [*costs, *([zero] * d)]
    basic = [(-full_costs[b], r) for r, b in enumerate(basis) if full_costs[b]]
    rows[d], dens[d] = _combination(basic, [*full_costs, zero], rows, dens)
    run(m)
    y = [zero] * m
    for r, b in enumerate(basis):
        if b < m:
            y[b] = Fraction(rows[r][width], dens[r])
    return y, [b for b in basis if b < m]


def _combination(
    weights: list[tuple[Fraction, int]], base: list[Fraction], rows: list[list[int]], dens: list[int]
) -> tuple[list[int], int]:
    """base + sum of weight x row (rows over their denominators), as an integer row; the last entry of
    ``base`` is the right-hand side's, which is the negated objective value (hence base's own sign there)."""
    scale = math.lcm(*(v.denominator for v in base), *((w / dens[r]).denominator for w, r in weights))
    result = [v.numerator * (scale // v.denominator) for v in base]
    width = len(result) - 1
    for w, r in weights:
        factor = w / dens[r] * scale  # a whole number by the choice of scale
        k = factor.numerator
        row = rows[r]
        for j in range(width):
            if row[j]:
                result[j] += k * row[j]
        result[width] += k * row[width]
    return _reduced(result, scale)


def _pivot(rows: list[list[int]], dens: list[int], basis: list[int], row: int, col: int) -> None:
    """Pivot on (row, col); the last row (the reduced costs) is updated like the others, never a basis row.

    The pivot row becomes p / p[col] (integers p over the denominator p[col]); each other row a over its
    denominator e becomes (a * p[col] - a[col] * p) / (e * p[col]), then reduced by the gcd.
    """
    pivot = rows[row]
    lead = pivot[col]
    rows[row], dens[row] = _reduced(pivot[:], lead)
    nonzero = [j for j, v in enumerate(pivot) if v]
    for r in range(len(rows)):
        if r == row:
            continue
        current = rows[r]
        f = current[col]
        if f == 0:
            continue
        updated = [v * lead for v in current]
        for j in nonzero:
            updated[j] -= f * pivot[j]
        rows[r], dens[r] = _reduced(updated, dens[r] * lead)
    basis[row] = col


# --- the nucleolus ----------------------------------------------------------------------------------------


def nucleolus(n: int, cost: Sequence[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
    """The nucleolus of the cost game (over the imputations: nobody pays more than alone), exactly, and the
    successive minimum savings (excesses) at which coalitions were fixed.

    Each round maximises the smallest saving c(S) - x(S) over the coalitions not yet fixed; the coalitions
    whose dual value is positive are tight at every optimum, so they are fixed at that saving and the next
    round goes on with the others. Coalitions whose x(S) the fixed ones already determine are left out,
    so each round fixes at least one new independent equation: at most n - 1 rounds.
    """
    full = (1 << n) - 1
    alone_total = sum((cost[1 << i] for i in range(n)), Fraction(0))
    if alone_total < cost[full]:
        raise GameError(
            f"the members alone cost {alone_total} together, less than the {cost[full]} of all members: "
            "no split has every member paying at most its stand-alone cost"
        )
    if n == 1:
        return [cost[full]], []

    def vector(mask: int) -> list[Fraction]:
        return [Fraction(mask >> i & 1) for i in range(n)]

    fixed: list[tuple[list[Fraction], Fraction]] = [(vector(full), cost[full])]
    levels: list[Fraction] = []
    free_masks = list(range(1, full))
    while True:
        x0, basis = _affine(n, fixed)
        k = len(basis)
        if k == 0:
            return x0, levels
        # Variables (w_1..w_k, t); each free coalition: x(S) + t <= c(S); each member: x_i <= c({i}).
        # A coalition whose w-coefficients are all zero has x(S) fixed by the equations already (the row
        # space is orthogonal to the null space): its saving is fixed, it is left out.
        columns: list[list[Fraction]] = []
        rhs: list[Fraction] = []
        kinds: list[tuple[str, int]] = []
        still_free = []
        # x(S) of every coalition for each basis vector and for x0, by subset sums over integers.
        sums = [_subset_sums(b, n) for b in basis]
        base = _subset_sums(x0, n)
        one = Fraction(1)
        for s in free_masks:
            w = [Fraction(ints[s], den) if ints[s] else Fraction(0) for ints, den in sums]
            if not any(w):
                continue
            still_free.append(s)
            columns.append([*w, one])
            rhs.append(cost[s] - Fraction(base[0][s], base[1]))
            kinds.append(("excess", s))
        free_masks = still_free
        for i in range(n):
            w = [b[i] for b in basis]
            if any(w):
                columns.append([*w, Fraction(0)])
                rhs.append(cost[1 << i] - x0[i])
                kinds.append(("bound", 1 << i))
        target = [Fraction(0)] * k + [Fraction(1)]
        y, _ = _simplex_dual(columns, rhs, target)
        level = sum((yy * r for yy, r in zip(y, rhs, strict=True) if yy), Fraction(0))
        levels.append(level)
        newly = [j for j in range(len(columns)) if y[j] > 0]
        for j in newly:
            kind, s = kinds[j]
            fixed.append((vector(s), cost[s] - level if kind == "excess" else cost[s]))
        fixed = _independent(fixed, n)


def _subset_sums(values: list[Fraction], n: int) -> tuple[list[int], int]:
    """(integers, denominator): the sum of `values` over the members of every mask, each mask built from
    a smaller one (one integer addition per mask)."""
    den = math.lcm(*(v.denominator for v in values))
    ints = [v.numerator * (den // v.denominator) for v in values]
    sums = [0] * (1 << n)
    for mask in range(1, 1 << n):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + ints[low.bit_length() - 1]
    return sums, den


def _independent(
    fixed: list[tuple[list[Fraction], Fraction]], n: int
) -> list[tuple[list[Fraction], Fraction]]:
    kept: list[tuple[list[Fraction], Fraction]] = []
    for a, b in fixed:
        rows, _ = _row_reduce([[*v, Fraction(0)] for v, _ in kept] + [[*a, Fraction(0)]])
        if len(rows) > len(kept):
            kept.append((a, b))
    return kept


def lcm_denominator(values: Sequence[Fraction]) -> int:
    return math.lcm(*(v.denominator for v in values)) if values else 1
