#!/usr/bin/env python3
"""Which parts of the online timing policy carry its gain? A quick study for issue 14, item 4.

Same definitions as `backplan frontier` (docs/DESIGN.md §5): t0/t1 the first and last write, cut at
t0 + split·(t1 − t0), exposure of a test write = time to its dataset's first backup at or after it, a final
backup at t1, backups counted in the test window. cron-daily's phase is chosen on the training window (30-min
grid) and its backup count is the budget.

The policy is the `online` policy of Sources/BackplanSimulator/OnlinePolicy.swift: after each write, with k
writes pending, the deadline is t + argmin_τ k·M(τ) − λ·F(τ), F and M the recency-weighted empirical
distribution of the time to the dataset's next write in a key cell (gap bucket × 2-h slot), shrunk toward the
bucket and the root with a = n_eff / (n_eff + 20). Variants:

  base       that policy
  +sends     the owner's own sends (SNAP: events whose SRC is the dataset) are decision points too: at a send
             with k > 0 writes pending the deadline becomes s + argmin k·M_s − λ·F_s, with F_s, M_s the time
             from a send to the dataset's next write, in cells (time since the last write × 2-h slot)
  +personal  F and M also per dataset and (6-h slot × weekday/weekend) cell, shrunk toward the pooled cell
             (a = n_eff / (n_eff + κ), κ = 20)
  +both      both

To compare the variants cleanly the model is fitted once on the training window (no refits) and λ is set in
hindsight to the largest count within the budget (bisection), so these numbers are ceilings for each variant,
not what a causal policy reaches; the Swift policy paces λ causally and refits daily. A second table runs the
same on an inner split of the training window (inner cut at 0.6 of it), which is what the Swift policy uses to
choose its variant.

Usage: research/online_timing_variants.py [--log ../shared/data/real/CollegeMsg.txt] [--split 0.6]
Needs numpy. About a minute on one core.
"""
import argparse
from collections import defaultdict

import numpy as np

DAY = 86400.0
GRID = np.concatenate([[0.0], np.geomspace(1, 90 * DAY, 240)])
EDGES = np.array([60, 300, 1800, 3 * 3600, 8 * 3600, DAY, 3 * DAY])
SLOTS = 12
KMAX = 64


def bucket(gap):
    return int(np.searchsorted(EDGES, gap, side="right"))


def slot(t):
    return int((t % DAY) / DAY * SLOTS)


def personal_cell(t):
    weekend = int(((t // DAY) + 4) % 7 >= 5)  # 1970-01-01 was a Thursday
    return int((t % DAY) // (6 * 3600)) * 2 + weekend


def curves(gaps, weights):
    """Weighted empirical F and M of the gaps on GRID, and n_eff."""
    g, w = np.asarray(gaps), np.asarray(weights)
    total = w.sum()
    le = g[None, :] <= GRID[:, None]
    f = (le * w).sum(1) / total
    m = (np.minimum(g[None, :], GRID[:, None]) * w).sum(1) / total
    return f, m, total * total / (w * w).sum()


class PooledModel:
    """F and M per (bucket, slot) cell, shrunk toward the bucket and the root."""

    def __init__(self, obs, now, half_life=14 * DAY, kappa=20.0):
        by_cell, by_bucket = defaultdict(list), defaultdict(list)
        allg = []
        for cell, t, g in obs:
            w = 0.5 ** ((now - (t + g)) / half_life)
            by_cell[cell].append((g, w))
            by_bucket[cell // SLOTS].append((g, w))
            allg.append((g, w))
        root = curves(*zip(*allg))[:2] if allg else (np.zeros_like(GRID), GRID.copy())
        self.f = np.zeros((8 * SLOTS, len(GRID)))
        self.m = np.zeros_like(self.f)
        for b in range(8):
            bf, bm = root
            if by_bucket[b]:
                f, m, n = curves(*zip(*by_bucket[b]))
                a = n / (n + kappa)
                bf, bm = a * f + (1 - a) * bf, a * m + (1 - a) * bm
            for s in range(SLOTS):
                c = b * SLOTS + s
                if by_cell[c]:
                    f, m, n = curves(*zip(*by_cell[c]))
                    a = n / (n + kappa)
                    self.f[c], self.m[c] = a * f + (1 - a) * bf, a * m + (1 - a) * bm
                else:
                    self.f[c], self.m[c] = bf, bm


def observations(times_by_d, lo, hi, sends_by_d=None):
    """(dataset, key cell, personal cell, t, gap) for writes (or sends) in [lo, hi) followed by a write before hi."""
    out = []
    for d, w in times_by_d.items():
        w = w[w < hi]
        if sends_by_d is None:
            for i in range(1, len(w)):
                prev_gap = w[i - 1] - w[i - 2] if i >= 2 else np.inf
                t = w[i - 1]
                if t >= lo:
                    out.append((d, bucket(prev_gap) * SLOTS + slot(t), personal_cell(t), t, w[i] - t))
        else:
            for s in sends_by_d.get(d, ()):
                if not lo <= s < hi:
                    continue
                j = np.searchsorted(w, s, side="right")
                if j >= len(w) or j == 0:
                    continue
                out.append((d, bucket(s - w[j - 1]) * SLOTS + slot(s), personal_cell(s), s, w[j] - s))
    return out


class Policy:
    def __init__(self, writes, sends, lo, cut, use_sends, personal, kappa=20.0):
        wobs = observations(writes, lo, cut)
        self.write_model = PooledModel([(c, t, g) for _, c, _, t, g in wobs], cut)
        self.use_sends, self.personal, self.kappa = use_sends, personal, kappa
        if use_sends:
            sobs = observations(writes, lo, cut, sends)
            self.send_model = PooledModel([(c, t, g) for _, c, _, t, g in sobs], cut)
        self.own = defaultdict(list)
        self.own_cache = {}
        if personal:
            for d, _, pc, t, g in wobs:
                self.own[(d, pc)].append((g, 0.5 ** ((cut - (t + g)) / (14 * DAY))))
        self.cache = {}

    def set_lambda(self, lam):
        """Precomputes τ per (cell, k) at price λ for the pooled tables."""
        self.lam = lam
        ks = np.arange(1, KMAX + 1)[None, :, None]
        self.tables = {}
        for kind, model in (("write", self.write_model), ("send", getattr(self, "send_model", None))):
            if model is not None:
                self.tables[kind] = GRID[np.argmin(ks * model.m[:, None, :] - lam * model.f[:, None, :], axis=2)]
        self.cache = {}

    def own_curves(self, d, pc):
        key = (d, pc)
        if key not in self.own_cache:
            own = self.own.get(key)
            self.own_cache[key] = curves(*zip(*own)) if own else None
        return self.own_cache[key]

    def tau(self, kind, d, cell, t, k, lam):
        k = min(k, KMAX)
        if not self.personal or kind == "send":
            return self.tables[kind][cell, k - 1]
        pc = personal_cell(t)
        own = self.own_curves(d, pc)
        if own is None:
            return self.tables[kind][cell, k - 1]
        key = (d, cell, pc, k)
        if key not in self.cache:
            of, om, n = own
            a = n / (n + self.kappa)
            f = a * of + (1 - a) * self.write_model.f[cell]
            m = a * om + (1 - a) * self.write_model.m[cell]
            self.cache[key] = GRID[int(np.argmin(k * m - lam * f))]
        return self.cache[key]


def simulate(policy, writes, sends, cut, t1, lam):
    """Exposure (h), backups: datasets are independent at a fixed λ."""
    policy.set_lambda(lam)
    total, n, ops = 0.0, 0, 0
    for d, w in writes.items():
        test = w[w >= cut]
        if not len(test):
            continue
        before = w[w < cut]
        events = [(x, 0) for x in test]
        if policy.use_sends:
            s = sends.get(d, np.array([]))
            events += [(x, 1) for x in s[(s >= cut) & (s <= t1)]]
        events.sort()
        last = before[-1] if len(before) else None
        prev_gap = before[-1] - before[-2] if len(before) >= 2 else np.inf
        pending, deadline = [], None
        for x, is_send in events:
            if pending and deadline < x:
                total += sum(deadline - p for p in pending)
                ops += 1
                pending = []
            if is_send:
                if pending:
                    cell = bucket(x - last) * SLOTS + slot(x)
                    deadline = x + policy.tau("send", d, cell, x, len(pending), lam)
                continue
            gap = x - last if last is not None else np.inf
            cell = bucket(gap) * SLOTS + slot(x)
            last = x
            pending.append(x)
            n += 1
            deadline = x + policy.tau("write", d, cell, x, len(pending), lam)
        if pending:
            deadline = min(deadline, t1)
            total += sum(deadline - p for p in pending)
            ops += 1
    return total / n / 3600, ops


def cron_daily(writes, t0, cut, t1):
    best = None
    for k in range(48):
        phase = k * 1800.0
        tot = 0.0
        for w in writes.values():
            tr = w[w < cut]
            tot += ((phase - tr) % DAY).sum()
        if best is None or tot < best[0]:
            best = (tot, phase)
    phase = best[1]
    total, n, ops = 0.0, 0, 0
    for w in writes.values():
        test = w[w >= cut]
        if not len(test):
            continue
        slots = phase + np.ceil((test - phase) / DAY) * DAY
        final = slots > t1
        total += (np.where(final, t1, slots) - test).sum()
        n += len(test)
        ops += len(set(slots[~final].tolist())) + int(final.any())
    return total / n / 3600, ops


def at_budget(policy, writes, sends, cut, t1, budget):
    lo, hi = 1.0, 1e9
    best = None
    for _ in range(22):
        mid = (lo * hi) ** 0.5
        e, o = simulate(policy, writes, sends, cut, t1, mid)
        if o > budget:
            lo = mid
        else:
            hi, best = mid, (e, o)
    return best


def study(writes, sends, t0, cut, t1, label):
    test = {d: w for d, w in writes.items()}
    cron = cron_daily(test, t0, cut, t1)
    print(f"\n{label}: cron-daily {cron[0]:.2f} h at {cron[1]:,} backups")
    print("| variant | exposure h | backups | × cron-daily |")
    print("|---|---:|---:|---:|")
    for name, s, p in (("base", False, False), ("+sends", True, False), ("+personal", False, True), ("+both", True, True)):
        e, o = at_budget(Policy(writes, sends, t0, cut, s, p), writes, sends, cut, t1, cron[1])
        print(f"| {name} | {e:.2f} | {o:,} | {e / cron[0]:.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", default="../shared/data/real/CollegeMsg.txt")
    ap.add_argument("--split", type=float, default=0.6)
    a = ap.parse_args()
    rows = np.loadtxt(a.log, dtype=np.int64)
    rows = rows[np.argsort(rows[:, 2], kind="stable")]
    writes, sends = defaultdict(list), defaultdict(list)
    for src, dst, t in rows:
        writes[int(dst)].append(float(t))
        sends[int(src)].append(float(t))
    writes = {d: np.array(v) for d, v in writes.items()}
    sends = {d: np.array(v) for d, v in sends.items() if d in writes}
    t0, t1 = float(rows[0, 2]), float(rows[-1, 2])
    cut = t0 + a.split * (t1 - t0)
    # Inner split: the training window alone, cut at 0.6 of it (what the Swift policy chooses its variant on).
    inner_cut = t0 + 0.6 * (cut - t0)
    inner = {d: w[w < cut] for d, w in writes.items() if (w < cut).any()}
    study(inner, {d: s[s < cut] for d, s in sends.items()}, t0, inner_cut, max(w[-1] for w in inner.values()),
          f"{a.log} inner split of the training window (0.6 of [t0, cut))")
    study(writes, sends, t0, cut, t1, f"{a.log} split {a.split} (held-out test window; λ in hindsight)")


if __name__ == "__main__":
    main()
