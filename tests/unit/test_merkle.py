"""The Merkle maths against RFC 9162 section 2, exhaustively for every tree of 1..64 leaves.

Proofs from the node-store code are compared with a straightforward recursive transcription of
the RFC's MTH, PATH, PROOF and SUBPROOF definitions written here (it shares no code with the
module), and every proof is mutated in the ways a forger would try; each mutation must fail.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_nodes_for_append,
    required_nodes,
    root_at,
    root_from_leaf_hashes,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_EXHAUSTIVE = 64
MAX_RANDOM = 3000
LEAVES = [f"leaf {i}".encode() for i in range(MAX_RANDOM)]

# --- the independent reference: RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1 read literally -----------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) over LEAVES."""
    n = hi - lo
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + LEAVES[lo])
    k = _k(n)
    return _sha(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi))


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]), m relative to lo."""
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, lo, lo + k) + [ref_mth(lo + k, hi)]
    return ref_path(m - k, lo + k, hi) + [ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b)."""
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, lo, lo + k, b) + [ref_mth(lo + k, hi)]
    return ref_subproof(m - k, lo + k, hi, False) + [ref_mth(lo, lo + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m <= n."""
    return ref_subproof(m, 0, n, True)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    built = MemoryTree()
    for leaf in LEAVES:
        built.append(leaf)
    return built


def guarded(tree: MemoryTree, tree_size: int, calls: list | None = None):
    """A get_node that fails the test if asked for a node that is incomplete at tree_size."""

    def get_node(level: int, index: int) -> bytes:
        assert (index + 1) << level <= tree_size, f"node ({level}, {index}) beyond {tree_size}"
        if calls is not None:
            calls.append((level, index))
        return tree.get_node(level, index)

    return get_node


def flip(h: bytes, bit: int) -> bytes:
    out = bytearray(h)
    out[(bit // 8) % 32] ^= 1 << (bit % 8)
    return bytes(out)


EXTRA = _sha(b"not in the tree")


def mutated_proofs(proof: list[bytes]):
    """Every component bit-flipped, one added at either end, each removed, each pair swapped."""
    for i in range(len(proof)):
        yield proof[:i] + [flip(proof[i], 37 * i + 5)] + proof[i + 1 :]
        yield proof[:i] + proof[i + 1 :]
        for j in range(i + 1, len(proof)):
            swapped = list(proof)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            yield swapped
    yield proof + [EXTRA]
    yield [EXTRA] + proof
    yield proof + [proof[-1]] if proof else [EXTRA, EXTRA]


# --- published vectors (Certificate Transparency's and Trillian's test data) -----------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
H_1 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_23 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_4567 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_4 = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_67 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_45 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"


def test_roots_and_proofs_match_certificate_transparency_test_vectors():
    ct = MemoryTree()
    assert ct.root().hex() == CT_ROOTS[0]
    for leaf in CT_LEAVES:
        ct.append(leaf)
    assert [ct.root(n).hex() for n in range(9)] == CT_ROOTS
    hexes = lambda proof: [h.hex() for h in proof]  # noqa: E731
    assert hexes(ct.inclusion_proof(0, 8)) == [H_1, H_23, H_4567]
    assert hexes(ct.inclusion_proof(5, 8)) == [H_4, H_67, CT_ROOTS[4]]
    assert hexes(ct.consistency_proof(1, 8)) == [H_1, H_23, H_4567]
    assert hexes(ct.consistency_proof(6, 8)) == [H_45, H_67, CT_ROOTS[4]]
    assert hexes(ct.consistency_proof(2, 5)) == [H_23, H_4]


# --- exhaustive: every tree of 1..64 leaves ---------------------------------------------------


@pytest.mark.parametrize("n", range(1, MAX_EXHAUSTIVE + 1))
def test_root_equals_the_rfc_mth(tree, n):
    expected = ref_mth(0, n)
    assert root_at(n, guarded(tree, n)) == expected
    assert root_from_leaf_hashes([leaf_hash(leaf) for leaf in LEAVES[:n]]) == expected


@pytest.mark.parametrize("n", range(1, MAX_EXHAUSTIVE + 1))
def test_inclusion_proofs_equal_rfc_path_verify_and_resist_mutation(tree, n):
    root = ref_mth(0, n)
    hashes = [ref_mth(i, i + 1) for i in range(n)]
    for i in range(n):
        proof = inclusion_proof(i, n, guarded(tree, n))
        assert proof == ref_path(i, 0, n)
        assert verify_inclusion(hashes[i], i, n, proof, root)
        for bad in mutated_proofs(proof):
            assert not verify_inclusion(hashes[i], i, n, bad, root), (i, n, len(bad))
        for j in range(n):
            if j != i:
                assert not verify_inclusion(hashes[i], j, n, proof, root), ("index", i, j, n)
                assert not verify_inclusion(hashes[j], i, n, proof, root), ("leaf", i, j, n)
        for size in (n * 2, n // 2, i):  # doubled, halved, and one that excludes the index
            assert not verify_inclusion(hashes[i], i, size, proof, root), ("size", i, n, size)
        assert not verify_inclusion(hashes[i], i, n, proof, flip(root, i))


@pytest.mark.parametrize("n", range(1, MAX_EXHAUSTIVE + 1))
def test_consistency_proofs_equal_rfc_proof_verify_and_resist_mutation(tree, n):
    new_root = ref_mth(0, n)
    for m in range(1, n + 1):
        old_root = ref_mth(0, m)
        proof = consistency_proof(m, n, guarded(tree, n))
        assert proof == ref_proof(m, n)
        assert verify_consistency(m, n, old_root, new_root, proof)
        for bad in mutated_proofs(proof):
            assert not verify_consistency(m, n, old_root, new_root, bad), (m, n, len(bad))
        for first, second in ((m - 1, n), (m + 1, n), (m, n * 2), (m, n // 2), (n, m)):
            if (first, second) != (m, n):
                assert not verify_consistency(first, second, old_root, new_root, proof)
        if m != n:
            assert not verify_consistency(m, n, new_root, old_root, proof)  # roots swapped
            forged_old = ref_mth(0, m - 1) if m > 1 else EXTRA
            assert not verify_consistency(m, n, forged_old, new_root, proof)
            assert not verify_consistency(m, n, old_root, ref_mth(0, n - 1), proof)


def test_subtree_hash_handles_unaligned_ranges(tree):
    for start in range(0, 20):
        for end in range(start + 1, 40):
            assert subtree_hash(start, end, tree.get_node) == ref_mth(start, end)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 63, 64, 65, 1000])
def test_append_writes_exactly_the_complete_subtrees(n):
    store: dict[tuple[int, int], bytes] = {}
    for i in range(n):
        for level, index, value in new_nodes_for_append(
            i, leaf_hash(LEAVES[i]), lambda lv, ix: store[lv, ix]
        ):
            assert (level, index) not in store  # written once, never updated
            store[level, index] = value
    assert len(store) == 2 * n - bin(n).count("1")
    for (level, index), value in store.items():
        assert value == ref_mth(index << level, (index + 1) << level)
    assert root_at(n, lambda lv, ix: store[lv, ix]) == ref_mth(0, n)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13, 64])
def test_required_nodes_are_exactly_what_a_proof_reads(tree, n):
    for compute in [lambda get, i=i: inclusion_proof(i, n, get) for i in range(n)] + [
        lambda get, m=m: consistency_proof(m, n, get) for m in range(1, n + 1)
    ]:
        calls: list = []
        expected = compute(guarded(tree, n, calls))
        needed = required_nodes(compute)
        assert sorted(needed) == sorted(set(calls))
        fetched = {node: tree.get_node(*node) for node in needed}  # one batched query
        assert compute(lambda level, index, rows=fetched: rows[level, index]) == expected


# --- edge cases named by the RFC --------------------------------------------------------------


def test_consistency_edge_cases(tree):
    r5, r8 = tree.root(5), tree.root(8)
    assert tree.consistency_proof(5, 5) == []
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(5, 5, r5, r8, [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    assert tree.consistency_proof(0, 8) == []
    assert verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    assert not verify_consistency(0, 8, r5, r8, [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, r8, [r8])
    assert not verify_consistency(5, 8, r5, r8, [])  # a real step needs a non-empty proof
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


@pytest.mark.parametrize(
    "call",
    [
        lambda t: inclusion_proof(8, 8, t.get_node),
        lambda t: inclusion_proof(-1, 8, t.get_node),
        lambda t: consistency_proof(9, 8, t.get_node),
        lambda t: consistency_proof(-1, 8, t.get_node),
        lambda t: t.root(MAX_RANDOM + 1),
        lambda t: root_at(-1, t.get_node),
        lambda t: subtree_hash(3, 3, t.get_node),
    ],
)
def test_impossible_proof_requests_raise_value_error(tree, call):
    with pytest.raises(ValueError):
        call(tree)


def test_proofs_read_a_logarithmic_number_of_nodes_at_a_million_leaves():
    # The store here invents hashes: proof generation must never need more than the few
    # complete subtrees along the path, whatever the tree's size.
    n = 1_000_003
    calls: list = []

    def get_node(level: int, index: int) -> bytes:
        assert (index + 1) << level <= n
        calls.append((level, index))
        return _sha(b"%d/%d" % (level, index))

    budget = 2 * n.bit_length() + 2
    for index in (0, 1, n // 2, n - 2, n - 1):
        calls.clear()
        assert len(inclusion_proof(index, n, get_node)) <= n.bit_length()
        assert len(calls) <= budget
    for first in (1, 2, 1000, n // 3, n - 1):
        calls.clear()
        consistency_proof(first, n, get_node)
        assert len(calls) <= budget


# --- property tests beyond 64 leaves and against malformed input ------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_large_trees_match_the_reference(tree, data):
    n = data.draw(st.integers(MAX_EXHAUSTIVE, MAX_RANDOM), label="n")
    i = data.draw(st.integers(0, n - 1), label="index")
    m = data.draw(st.integers(1, n), label="first")
    proof = inclusion_proof(i, n, guarded(tree, n))
    assert proof == ref_path(i, 0, n)
    assert verify_inclusion(leaf_hash(LEAVES[i]), i, n, proof, ref_mth(0, n))
    cproof = consistency_proof(m, n, guarded(tree, n))
    assert cproof == ref_proof(m, n)
    assert verify_consistency(m, n, ref_mth(0, m), ref_mth(0, n), cproof)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=5),
    st.binary(max_size=40),
    st.lists(st.binary(min_size=0, max_size=40), max_size=70),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(a=junk, b=junk, c=junk, d=junk, e=junk)
def test_verifiers_never_raise_on_malformed_input(a, b, c, d, e):
    assert verify_inclusion(a, b, c, d, e) in (True, False)
    assert verify_consistency(a, b, c, d, e) in (True, False)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 200),
    index=st.integers(-3, 400),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=12),
)
def test_random_proofs_of_the_right_shape_do_not_verify(tree, size, index, proof):
    if 0 <= index < size and proof != tree.inclusion_proof(index, size):
        assert not verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, tree.root(size))
    assert not verify_consistency(max(index, 1), size, EXTRA, tree.root(size), proof)


def test_bools_are_not_sizes(tree):
    proof = tree.inclusion_proof(1, 2)
    assert verify_inclusion(leaf_hash(LEAVES[1]), 1, 2, proof, tree.root(2))
    assert not verify_inclusion(leaf_hash(LEAVES[1]), True, 2, proof, tree.root(2))
