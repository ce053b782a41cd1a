"""The peer benchmark's numpy engine: the one-factor Gaussian pool of `benches/peer/pool.toml`.

Run by `cargo bench --bench peer` through the virtual environment `benches/peer/setup.sh`
makes (target/peer-venv). Each repetition simulates `--paths` paths in batches of `--batch`:
per batch one common factor Z and `names` idiosyncratic normals per path; a name defaults by the
horizon when its idiosyncratic normal is at or below (c − √ρ·Z)/√(1 − ρ), c = Φ⁻¹(PD_T) (the
same event as √ρ·Z + √(1 − ρ)·ε ≤ c, with one multiply-add per path instead of per name); the
portfolio loss is L = defaults·(1 − R)/names, and tranche [a, d) loses
min((L − a)⁺, d − a)/(d − a). Only the simulation is timed (not the interpreter's start, the
import of numpy or the JSON), after one untimed warm-up batch.

PD convention (the same as ipabs's constant hazard): `--annual-pd` p gives P(τ ≤ t) =
1 − (1 − p)^t, so PD_T = 1 − (1 − p)^T; "hazard 1 %/yr" is p = 1 − e^−0.01.

Prints one JSON object on stdout: the paths/s of every repetition, and each tranche's expected
loss and standard error over all the repetitions' paths (repetition r uses seed + r).
"""

import os

# Single-threaded numpy: set before numpy is imported (the bench sets them too).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from statistics import NormalDist  # noqa: E402

import numpy as np  # noqa: E402


def parse_tranches(text):
    """`0-0.03,0.03-0.07,...` → [(attach, detach), ...]."""
    out = []
    for part in text.split(","):
        a, d = part.split("-")
        out.append((float(a), float(d)))
    return out


class Pool:
    def __init__(self, names, annual_pd, years, rho, recovery, tranches):
        self.names = names
        self.rho = rho
        self.recovery = recovery
        self.horizon_pd = 1.0 - (1.0 - annual_pd) ** years
        self.threshold = NormalDist().inv_cdf(self.horizon_pd)
        self.attach = np.array([a for a, _ in tranches])
        self.width = np.array([d - a for a, d in tranches])
        self.sqrt_rho = math.sqrt(rho)
        self.sqrt_idio = math.sqrt(1.0 - rho)

    def batch(self, rng, paths):
        """Tranche loss rates of `paths` paths, shape (paths, tranches)."""
        z = rng.standard_normal(paths)
        eps = rng.standard_normal((paths, self.names))
        # Per-path conditional threshold on the idiosyncratic normal.
        cut = (self.threshold - self.sqrt_rho * z) / self.sqrt_idio
        defaults = np.count_nonzero(eps <= cut[:, None], axis=1)
        loss = defaults * ((1.0 - self.recovery) / self.names)
        tl = (loss[:, None] - self.attach) / self.width
        np.clip(tl, 0.0, 1.0, out=tl)
        return tl


def run(pool, rng, paths, batch, sums, squares):
    done = 0
    while done < paths:
        m = min(batch, paths - done)
        tl = pool.batch(rng, m)
        sums += tl.sum(axis=0)
        squares += np.einsum("ij,ij->j", tl, tl)
        done += m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20240412)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--names", type=int, default=100)
    ap.add_argument("--annual-pd", type=float, default=-math.expm1(-0.01))
    ap.add_argument("--years", type=float, default=5.0)
    ap.add_argument("--rho", type=float, default=0.3)
    ap.add_argument("--recovery", type=float, default=0.4)
    ap.add_argument(
        "--tranches",
        type=parse_tranches,
        default=parse_tranches("0-0.03,0.03-0.07,0.07-0.10,0.10-0.15,0.15-0.30,0.30-1"),
    )
    args = ap.parse_args()

    pool = Pool(args.names, args.annual_pd, args.years, args.rho, args.recovery, args.tranches)
    k = len(args.tranches)
    sums = np.zeros(k)
    squares = np.zeros(k)
    # Warm-up (allocations, page faults): not timed, not counted.
    pool.batch(np.random.default_rng(args.seed ^ 0x5EED), min(args.batch, args.paths))

    reps = []
    for r in range(args.reps):
        rng = np.random.default_rng(args.seed + r)
        start = time.perf_counter()
        run(pool, rng, args.paths, args.batch, sums, squares)
        seconds = time.perf_counter() - start
        reps.append({"seconds": seconds, "paths_per_s": args.paths / seconds})

    total = args.paths * args.reps
    mean = sums / total
    var = np.maximum(squares / total - mean * mean, 0.0) * total / max(total - 1, 1)
    se = np.sqrt(var / total)
    print(
        json.dumps(
            {
                "engine": "numpy",
                "numpy": np.__version__,
                "generator": "PCG64 (numpy.random.default_rng), ziggurat normals",
                "paths": args.paths,
                "batch": args.batch,
                "horizon_pd": pool.horizon_pd,
                "reps": reps,
                "tranches": [
                    {"attach": a, "detach": d, "expected_loss": float(m), "std_error": float(s)}
                    for (a, d), m, s in zip(args.tranches, mean, se)
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
