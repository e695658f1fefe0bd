"""Merkle maths benchmark: proofs from a node store versus naive recomputation, and appends.

    python bench/ledger_maths.py [--sizes 10000 100000 1000000] [--samples 200]

For each tree size it appends that many leaves to an in-memory node store (the nodes a
persistent store keeps: one list per level), then times inclusion and consistency proofs read
from the store next to the naive baseline in the same run: RFC 9162's recursive PATH/PROOF
over all leaf hashes, which recomputes O(n) node hashes per proof. Every proof is verified, and
the store's proofs are checked equal to the naive ones, so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipx.ledger.canonical import canonical_json  # noqa: E402
from ipx.ledger.merkle import (  # noqa: E402
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def naive_mth(hashes: list[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) recomputed from leaf hashes, as the RFC defines it."""
    if hi - lo == 1:
        return hashes[lo]
    k = 1 << ((hi - lo - 1).bit_length() - 1)
    return node_hash(naive_mth(hashes, lo, lo + k), naive_mth(hashes, lo + k, hi))


def naive_path(hashes: list[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) with every subtree hash recomputed."""
    if hi - lo == 1:
        return []
    k = 1 << ((hi - lo - 1).bit_length() - 1)
    if m < k:
        return naive_path(hashes, m, lo, lo + k) + [naive_mth(hashes, lo + k, hi)]
    return naive_path(hashes, m - k, lo + k, hi) + [naive_mth(hashes, lo, lo + k)]


def naive_subproof(hashes: list[bytes], m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) with every subtree hash recomputed."""
    if m == hi - lo:
        return [] if whole else [naive_mth(hashes, lo, hi)]
    k = 1 << ((hi - lo - 1).bit_length() - 1)
    if m <= k:
        return naive_subproof(hashes, m, lo, lo + k, whole) + [naive_mth(hashes, lo + k, hi)]
    return naive_subproof(hashes, m - k, lo + k, hi, False) + [naive_mth(hashes, lo, lo + k)]


def timed(call, repeats: int) -> tuple[float, object]:
    """Median milliseconds of ``call(i)`` over ``repeats`` runs, and the last result."""
    times, result = [], None
    for i in range(repeats):
        start = time.perf_counter()
        result = call(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def build(n: int) -> tuple[MemoryTree, float]:
    """Append n realistic leaves (canonical JSON, leaf hash, completed nodes); return appends/s."""
    tree = MemoryTree()
    start = time.perf_counter()
    for seq in range(n):
        leaf = canonical_json(
            {"v": 1, "seq": seq, "time": "2025-06-01T12:00:00.000000Z",
             "type": "pledge.registered", "refs": {"pledge": seq}, "data": {"status": "active"},
             "digests": {"pledgor": "0" * 64}}
        )  # fmt: skip
        tree.append(leaf)
    return tree, n / (time.perf_counter() - start)


def bench_size(n: int, samples: int, rng: random.Random) -> dict[str, float]:
    """One table row for a tree of n leaves."""
    tree, appends_per_s = build(n)
    hashes, get_node, root = tree.levels[0], tree.get_node, tree.root()
    indices = [rng.randrange(n) for _ in range(samples)]
    firsts = [rng.randrange(1, n) for _ in range(samples)]
    naive_runs = max(3, min(samples, 2_000_000 // n))
    incl_ms, _ = timed(lambda i: inclusion_proof(indices[i], n, get_node), samples)
    cons_ms, _ = timed(lambda i: consistency_proof(firsts[i], n, get_node), samples)
    incl_naive_ms, _ = timed(lambda i: naive_path(hashes, indices[i], 0, n), naive_runs)
    cons_naive_ms, _ = timed(lambda i: naive_subproof(hashes, firsts[i], 0, n, True), naive_runs)
    for i in range(naive_runs):  # like for like: the store's proofs are the RFC's proofs
        assert inclusion_proof(indices[i], n, get_node) == naive_path(hashes, indices[i], 0, n)
    old_roots = [tree.root(m) for m in firsts]
    proofs = [inclusion_proof(i, n, get_node) for i in indices]
    cproofs = [consistency_proof(m, n, get_node) for m in firsts]
    verify_incl_ms, ok = timed(
        lambda i: verify_inclusion(hashes[indices[i]], indices[i], n, proofs[i], root), samples
    )
    assert ok
    verify_cons_ms, ok = timed(
        lambda i: verify_consistency(firsts[i], n, old_roots[i], root, cproofs[i]), samples
    )
    assert ok
    return {
        "appends/s": appends_per_s,
        "incl store": incl_ms,
        "incl naive": incl_naive_ms,
        "cons store": cons_ms,
        "cons naive": cons_naive_ms,
        "verify incl": verify_incl_ms,
        "verify cons": verify_cons_ms,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args(argv)
    rng = random.Random(20250601)
    header = ("leaves", "appends/s", "incl store", "incl naive", "cons store", "cons naive",
              "verify incl", "verify cons")  # fmt: skip
    python = sys.version.split()[0]
    print(f"appends/s: canonical JSON + leaf hash + new nodes; then median ms (Python {python})")
    print(" | ".join(f"{h:>11}" for h in header))
    for n in args.sizes:
        row = bench_size(n, args.samples, rng)
        cells = [f"{n:>11,}", f"{row['appends/s']:>11,.0f}"]
        cells += [f"{row[h]:>11.3f}" for h in header[2:]]
        print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
