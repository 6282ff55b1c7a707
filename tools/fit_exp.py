#!/usr/bin/env python3
"""Fits the polynomial behind the kernels' exponential: p(r) ≈ e^r on |r| ≤ ln2/2 with p(0) = 1 exactly,
minimising the relative error by iteratively reweighted least squares (Lawson's method) in 80-digit
decimal arithmetic, then rounds the coefficients to the target type and reports the achieved error.
Run: python3 tools/fit_exp.py  (prints C# constants for float, degree 6, and double, degree 11)."""
from decimal import Decimal as D, getcontext
import math, struct

getcontext().prec = 80
HALF_LN2 = D(2).ln() / 2


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(degree, nodes=300, rounds=40):
    xs = [HALF_LN2 * D(math.cos(math.pi * (k + 0.5) / nodes)) for k in range(nodes)]
    ys = [x.exp() for x in xs]
    w = [D(1)] * nodes
    for _ in range(rounds):
        # unknowns c1..c_degree; residual (1 + Σ c_k x^k − e^x)/e^x
        cols = [[x ** k / y for x, y in zip(xs, ys)] for k in range(1, degree + 1)]
        rhs = [(y - 1) / y for y in ys]
        a = [[sum(wi * ci * cj for wi, ci, cj in zip(w, cols[i], cols[j])) for j in range(degree)] for i in range(degree)]
        b = [sum(wi * ci * ri for wi, ci, ri in zip(w, cols[i], rhs)) for i in range(degree)]
        c = solve(a, b)
        err = [abs(1 + sum(c[k] * x ** (k + 1) for k in range(degree)) - y) / y for x, y in zip(xs, ys)]
        total = sum(wi * e for wi, e in zip(w, err))
        w = [wi * e / total for wi, e in zip(w, err)]
    return c


def to_float(x):
    return struct.unpack('<f', struct.pack('<f', float(x)))[0]


def max_error(coefficients, rounding):
    worst = 0
    for k in range(2001):
        x = -HALF_LN2 + 2 * HALF_LN2 * k / 2000
        # Horner in exact arithmetic with the rounded coefficients
        acc = D(rounding(coefficients[-1]))
        for c in reversed(coefficients[:-1]):
            acc = acc * x + D(rounding(c))
        acc = acc * x + 1
        worst = max(worst, abs(acc - x.exp()) / x.exp())
    return worst


for name, degree, rounding in (("float", 6, to_float), ("double", 11, float)):
    c = fit(degree)
    print(f"// {name}: degree {degree}, max relative error {float(max_error(c, rounding)):.3e} (coefficients rounded to {name})")
    for k, ck in enumerate(c, start=1):
        print(f"    c{k} = {float(ck)!r}")
