#!/usr/bin/env python3
"""How far can an online backup policy get on a message log? Ceilings for issue 5's adaptive-policy goal.

The policy frontier (docs/DESIGN.md, "Policy frontier") measures the mean exposure of test writes (time from a
write to the first backup of its dataset at or after it) under a budget of backups equal to cron-daily's.
The goal asked of `adaptive` (now `online`, backplan frontier) is at most 0.5 x cron-daily's exposure and at most 2 x the hindsight oracle's.
This script measures, on the same definitions, what policies far more favoured than any real online policy
reach, to show whether the goal is within the information an online policy has:

  cron-daily        the reference (phase on a 30-minute grid chosen on the training window)
  oracle            hindsight lower bound (exact DP per dataset, bisection on the price of a backup)
  quiet-timer       back up once the dataset has been quiet for tau; tau tuned IN HINDSIGHT to the budget
  quiet-timer/k     the same with tau = c / (pending writes): ski-rental's break-even rule, c in hindsight
  hazard            a discrete-time hazard model of the time to the dataset's next write (logistic
                    regression, 31 inputs: rates at 4 half-lives, previous gap, the dataset's own sending
                    activity, time of day, interval), fitted on the training window; at each write the
                    deadline minimises k*E[min(G, tau)] - lambda*P(G <= tau); lambda tuned IN HINDSIGHT
  hazard, in-sample the same model fitted on the TEST window itself (it has seen the answers' distribution)

Every row but cron-daily and oracle is given information or tuning no online policy has (hindsight budget
tuning; the last also the test window's statistics), so each is an upper bound on what its family can do.

Usage: research/frontier_ceiling.py [--log ../shared/data/real/CollegeMsg.txt] [--split 0.6] [--key dst|src]
Needs numpy and scikit-learn (pip-installed when missing). About a minute on one core.
"""
import argparse
import importlib
import subprocess
import sys
from collections import defaultdict


def ensure(module, package):
    try:
        return importlib.import_module(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
        return importlib.import_module(module)


np = ensure("numpy", "numpy")
ensure("sklearn", "scikit-learn")
from sklearn.linear_model import LogisticRegression  # noqa: E402

DAY = 86400.0
EDGES = np.array([0, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 345600, 604800, 1e12])


def load(path, split, key):
    a = np.loadtxt(path, dtype=np.int64)
    a = a[np.argsort(a[:, 2], kind="stable")]
    src, dst, t = a[:, 0], a[:, 1], a[:, 2].astype(float)
    if key == "src":
        src, dst = dst, src
    t0, t1 = t[0], t[-1]
    return src, dst, t, t0, t1, t0 + split * (t1 - t0)


def exposure(writes, backups, t1):
    """Mean exposure (h) and backups made (skip-if-unchanged; a final backup at t1 for unprotected writes)."""
    total, n, ops = 0.0, 0, 0
    for d, w in writes.items():
        b = backups(d)
        idx = np.searchsorted(b, w, side="left")
        ends = np.where(idx < len(b), b[np.minimum(idx, len(b) - 1)] if len(b) else t1, t1)
        total += (ends - w).sum()
        n += len(w)
        ops += len(set(idx[idx < len(b)].tolist())) + (1 if (idx >= len(b)).any() else 0)
    return total / n / 3600, ops


def oracle(writes, budget):
    def dp(w, lam):
        c = np.concatenate([[0.0], np.cumsum(w)])
        best = np.zeros(len(w) + 1)
        arg = [0] * (len(w) + 1)
        for j in range(1, len(w) + 1):
            i = np.arange(j)
            cost = best[i] + (j - i) * w[j - 1] - (c[j] - c[i]) + lam
            arg[j] = int(np.argmin(cost))
            best[j] = cost[arg[j]]
        ops, j = 0, len(w)
        while j > 0:
            ops, j = ops + 1, arg[j]
        return best[-1] - lam * ops, ops

    def run(lam):
        res = [dp(w, lam) for w in writes.values()]
        return sum(r[0] for r in res) / sum(len(w) for w in writes.values()) / 3600, sum(r[1] for r in res)

    return tune(run, budget)


def tune(run, cap):
    """Smallest-exposure setting of a one-parameter family with ops <= cap (bisection on a log scale)."""
    lo, hi = 1.0, 1e9
    for _ in range(45):
        mid = (lo * hi) ** 0.5
        if run(mid)[1] > cap:
            lo = mid
        else:
            hi = mid
    return run(hi)


def quiet_timer(writes, activity, t1, tau_of_k):
    total, n, ops = 0.0, 0, 0
    for d, w in writes.items():
        events = sorted([(x, 1) for x in w] + [(x, 0) for x in activity.get(d, [])])
        pending, last = [], None
        for x, is_write in events:
            if pending and last + tau_of_k(len(pending)) < x:
                deadline = last + tau_of_k(len(pending))
                total += sum(deadline - p for p in pending)
                ops += 1
                pending = []
            if is_write:
                pending.append(x)
                n += 1
            if pending:
                last = x
        if pending:
            deadline = min(last + tau_of_k(len(pending)), t1)
            total += sum(deadline - p for p in pending)
            ops += 1
    return total / n / 3600, ops


class Hazard:
    """Discrete-time hazard of the time G to a dataset's next write, on the intervals EDGES."""

    def __init__(self, writes, sends):
        self.writes, self.sends = writes, sends

    def features(self, d, i):
        w = self.writes[d][: i + 1]
        now = w[-1]
        f = [np.log1p(np.exp(-(now - w) / hl * np.log(2)).sum()) for hl in (3600, DAY, 7 * DAY, 30 * DAY)]
        f.append(np.log1p(((now - w[-2]) if len(w) > 1 else 30 * DAY) / 60))
        s = self.sends.get(d, np.array([]))
        s = s[s <= now]
        since = now - s[-1] if len(s) else 60 * DAY
        f += [np.log1p(since / 60), 1.0 if since < 1800 else 0.0, np.log1p(len(s)), np.log1p(i)]
        return f

    @staticmethod
    def row(f, start, j, end):
        h = ((start + (EDGES[j] + end) / 2) % DAY) / DAY * 2 * np.pi
        onehot = [0.0] * (len(EDGES) - 1)
        onehot[j] = 1.0
        return f + [np.sin(h), np.cos(h), np.sin(2 * h), np.cos(2 * h)] + onehot + f[:4]

    def fit(self, lo, hi):
        """Fits on the gaps that start in [lo, hi) (censored at hi)."""
        x, y = [], []
        for d, w in self.writes.items():
            for i in np.nonzero((w >= lo) & (w < hi))[0]:
                f = self.features(d, i)
                gap, censored = (w[i + 1] - w[i], False) if i + 1 < len(w) and w[i + 1] < hi else (hi - w[i], True)
                for j in range(len(EDGES) - 1):
                    if EDGES[j] >= gap:
                        break
                    row = self.row(f, w[i], j, min(EDGES[j + 1], gap))
                    x.append(row[:-4] + [v * row[len(f) + 4 + j] for v in f[:4]])
                    y.append(1 if not censored and gap < EDGES[j + 1] else 0)
        x = np.array(x)
        self.mean, self.std = x.mean(0), x.std(0) + 1e-9
        self.model = LogisticRegression(C=1.0, max_iter=2000).fit((x - self.mean) / self.std, np.array(y))
        return self

    def curve(self, d, i):
        """P(G <= tau) and E[min(G, tau)] at tau = the interval ends (up to 30 days)."""
        f, start = self.features(d, i), self.writes[d][i]
        survive, mean, cdf, means = 1.0, 0.0, [], []
        for j in range(len(EDGES) - 1):
            a, b = EDGES[j], min(EDGES[j + 1], 30 * DAY)
            row = self.row(f, start, j, b)
            z = np.array(row[:-4] + [v * row[len(f) + 4 + j] for v in f[:4]])
            h = self.model.predict_proba(((z - self.mean) / self.std)[None, :])[0, 1]
            rate = -np.log(max(1 - h, 1e-12)) / (b - a)
            mean += survive * (1 - np.exp(-rate * (b - a))) / rate if rate > 0 else survive * (b - a)
            survive *= np.exp(-rate * (b - a))
            cdf.append(1 - survive)
            means.append(mean)
            if b >= 30 * DAY:
                break
        return np.array(cdf), np.array(means), EDGES[1: len(cdf) + 1]


def hazard_policy(hazard, cut, t1, cap):
    curves = {(d, i): hazard.curve(d, i) for d, w in hazard.writes.items() for i in np.nonzero(w >= cut)[0]}

    def run(lam):
        total, n, ops = 0.0, 0, 0
        for d, w in hazard.writes.items():
            idx = np.nonzero(w >= cut)[0]
            pending = []
            for pos, i in enumerate(idx):
                pending.append(w[i])
                n += 1
                cdf, means, taus = curves[(d, i)]
                cost = len(pending) * means - lam * cdf
                j = int(np.argmin(cost))
                deadline = w[i] + (taus[j] if cost[j] < 0 else 0.0)
                if pos + 1 == len(idx) or deadline < w[idx[pos + 1]]:
                    deadline = min(deadline, t1)
                    total += sum(deadline - p for p in pending)
                    ops += 1
                    pending = []
        return total / n / 3600, ops

    return tune(run, cap)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", default="../shared/data/real/CollegeMsg.txt", help="SNAP temporal log: SRC DST UNIXTS")
    ap.add_argument("--split", type=float, default=0.6)
    ap.add_argument("--key", choices=["dst", "src"], default="dst", help="dataset = recipient (dst) or sender")
    a = ap.parse_args()
    src, dst, t, t0, t1, cut = load(a.log, a.split, a.key)
    by_dataset, sends = defaultdict(list), defaultdict(list)
    for s, d, x in zip(src, dst, t):
        by_dataset[d].append(x)
        sends[s].append(x)
    all_writes = {d: np.array(v) for d, v in by_dataset.items()}
    sends = {d: np.array(v) for d, v in sends.items()}
    writes = {d: w[w >= cut] for d, w in all_writes.items() if (w >= cut).any()}
    train = {d: w[w < cut] for d, w in all_writes.items() if (w < cut).any()}
    test_sends = {d: s[s >= cut] for d, s in sends.items()}

    best = None
    for k in range(48):
        grid = np.arange((t0 // DAY) * DAY + k * 1800, cut + DAY, DAY)
        total = sum((grid[np.searchsorted(grid, w)] - w).sum() for w in train.values())
        if best is None or total < best[0]:
            best = (total, k * 1800)
    grid = np.arange((t0 // DAY) * DAY + best[1], t1 + DAY, DAY)
    grid = grid[(grid >= cut) & (grid < t1)]
    cron = exposure(writes, lambda d: grid, t1)
    budget = cron[1]
    cap = int(budget * 1.01)

    rows = [("cron-daily", cron), ("oracle", oracle(writes, budget))]
    for name, activity in (("writes", {}), ("writes and the dataset's own sends", test_sends)):
        rows.append((f"quiet-timer ({name}), tau in hindsight",
                     tune(lambda c: quiet_timer(writes, activity, t1, lambda k: c), cap)))
        rows.append((f"quiet-timer/k ({name}), c in hindsight",
                     tune(lambda c: quiet_timer(writes, activity, t1, lambda k: c / k), cap)))
    rows.append(("hazard fitted on training, lambda in hindsight",
                 hazard_policy(Hazard(all_writes, sends).fit(t0, cut), cut, t1, cap)))
    rows.append(("hazard fitted on the test window (in-sample), lambda in hindsight",
                 hazard_policy(Hazard(all_writes, sends).fit(cut, t1 + 1), cut, t1, cap)))

    n = sum(len(w) for w in writes.values())
    print(f"{a.log}: split {a.split}, dataset = {a.key}, {n:,} test writes in {len(writes):,} datasets, "
          f"budget {budget:,} backups (cap {cap:,})")
    print(f"goal: exposure <= {0.5 * cron[0]:.2f} h (0.5 x cron-daily) and <= {2 * rows[1][1][0]:.2f} h (2 x oracle)")
    print("| policy | exposure h | backups |")
    print("|---|---:|---:|")
    for name, (e, o) in rows:
        print(f"| {name} | {e:.2f} | {o:,} |")


if __name__ == "__main__":
    main()
