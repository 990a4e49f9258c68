#!/usr/bin/env python3
"""Fits g(x) = erfc(x) * exp(x^2) on [1, 4] (in u = (x - 2.5) / 1.5) with mpmath and numpy: the
coefficients of erf_f32 in crates/ember-tensor/src/vmath.rs. Prints the max erf error per degree."""
import numpy as np, mpmath as mp
mp.mp.dps = 40
a, b = 1.0, 4.0
N = 400
k = np.arange(N)
xs = np.cos(np.pi*(k+0.5)/N)*(b-a)/2 + (a+b)/2
g = np.array([float(mp.erfc(mp.mpf(x))*mp.exp(mp.mpf(x)**2)) for x in xs])
u = (xs - 2.5)/1.5
for deg in (10, 11, 12, 13, 14):
    c = np.polynomial.chebyshev.chebfit(u, g, deg)
    p = np.polynomial.chebyshev.cheb2poly(c)
    test = np.linspace(a, b, 20001)
    gt = np.array([float(mp.erfc(mp.mpf(x))*mp.exp(mp.mpf(x)**2)) for x in test[::10]])
    uu = (test[::10]-2.5)/1.5
    approx = np.polynomial.polynomial.polyval(uu, p)
    # error on erf: exp(-x^2) * (approx - g)
    err = np.max(np.abs((approx-gt)*np.exp(-test[::10]**2)))
    print(deg, err, np.max(np.abs(approx-gt)/gt))
    if deg == 11: print(repr(list(p)))
