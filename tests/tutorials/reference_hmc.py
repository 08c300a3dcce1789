"""numpy HMC move (leapfrog, Hamiltonians, adaptive step size, acceptance average), replayed
on the velocities and accept decisions hmc.py drew."""

from __future__ import annotations

import numpy as np


def replay_move(pos, vel, accept, stepsize, rate, mu, cov_inv, n_steps, target=0.9,
                inc=1.02, dec=0.98, smin=0.001, smax=0.5, slowness=0.9):
    """One move from (pos, stepsize, rate) with initial velocities vel; the accept
    decisions are the drawn ones. Returns (new_pos, new_stepsize, new_rate, ediff)."""
    sym = (cov_inv + cov_inv.T) / 2

    def energy(x):
        return 0.5 * (((x - mu) @ cov_inv) * (x - mu)).sum(axis=1)

    def grad(x):
        return (x - mu) @ sym

    v = vel - 0.5 * stepsize * grad(pos)
    x = pos + stepsize * v
    for _ in range(n_steps - 1):
        v = v - stepsize * grad(x)
        x = x + stepsize * v
    v = v - 0.5 * stepsize * grad(x)
    h_prev = energy(pos) + 0.5 * (vel ** 2).sum(axis=1)
    h_next = energy(x) + 0.5 * (v ** 2).sum(axis=1)
    new_pos = np.where(accept[:, None], x, pos)
    new_stepsize = np.clip(stepsize * inc if rate > target else stepsize * dec, smin, smax)
    new_rate = slowness * rate + (1.0 - slowness) * accept.mean()
    return new_pos, new_stepsize, new_rate, h_prev - h_next
