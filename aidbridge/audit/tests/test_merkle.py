"""The Merkle tree against the RFC 6962 / RFC 9162 reference vectors (CT's merkle_tree_test), plus properties."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from aidbridge.audit import merkle

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
ROOTS = [
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
A = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
B = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
C = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
D = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
E = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
INCLUSION = [  # (leaf index, tree size, path)
    (0, 1, []),
    (0, 8, [A, B, C]),
    (5, 8, [D, E, ROOTS[4]]),
    (2, 3, [ROOTS[2]]),
    (1, 5, [ROOTS[1], B, D]),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, [A, B, C]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", E, ROOTS[4]]),
    (2, 5, [B, D]),
]


def _hex(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def test_tree_heads_match_the_reference_vectors():
    assert merkle.mth([]) == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    for n, root in enumerate(ROOTS):
        assert merkle.mth(HASHES, n).hex() == root


def test_inclusion_paths_match_the_reference_vectors():
    for index, size, path in INCLUSION:
        assert _hex(merkle.inclusion_path(index, HASHES, size)) == path
        assert merkle.verify_inclusion(HASHES[index], index, size, [bytes.fromhex(p) for p in path],
                                       bytes.fromhex(ROOTS[size]))


def test_consistency_proofs_match_the_reference_vectors():
    for old, new, proof in CONSISTENCY:
        assert _hex(merkle.consistency_proof(old, HASHES, new)) == proof
        assert merkle.verify_consistency(old, new, [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[old]),
                                         bytes.fromhex(ROOTS[new]))


def test_out_of_range_arguments_are_refused():
    assert not merkle.verify_inclusion(HASHES[0], 8, 8, [], bytes.fromhex(ROOTS[8]))
    assert not merkle.verify_consistency(5, 4, [], bytes.fromhex(ROOTS[5]), bytes.fromhex(ROOTS[4]))
    assert not merkle.verify_consistency(3, 5, [], bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[5]))
    assert merkle.verify_consistency(0, 5, [], merkle.EMPTY_ROOT, bytes.fromhex(ROOTS[5]))


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True)  # distinct: no equal subtrees


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies_and_a_change_fails(leaves, data):
    hashes = [merkle.leaf_hash(x) for x in leaves]
    size = data.draw(st.integers(1, len(hashes)))
    index = data.draw(st.integers(0, size - 1))
    root = merkle.mth(hashes, size)
    path = merkle.inclusion_path(index, hashes, size)
    assert merkle.verify_inclusion(hashes[index], index, size, path, root)
    assert not merkle.verify_inclusion(_flip(hashes[index]), index, size, path, root)
    assert not merkle.verify_inclusion(hashes[index], index, size, path, _flip(root))
    if path:
        k = data.draw(st.integers(0, len(path) - 1))
        assert not merkle.verify_inclusion(hashes[index], index, size, [*path[:k], _flip(path[k]), *path[k + 1:]],
                                           root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not merkle.verify_inclusion(hashes[index], other, size, path, root)


@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies_and_a_change_fails(leaves, data):
    hashes = [merkle.leaf_hash(x) for x in leaves]
    new = data.draw(st.integers(1, len(hashes)))
    old = data.draw(st.integers(1, new))
    proof = merkle.consistency_proof(old, hashes, new)
    old_root, new_root = merkle.mth(hashes, old), merkle.mth(hashes, new)
    assert merkle.verify_consistency(old, new, proof, old_root, new_root)
    assert not merkle.verify_consistency(old, new, proof, _flip(old_root), new_root)
    assert not merkle.verify_consistency(old, new, proof, old_root, _flip(new_root))
    if old < new:
        # A changed leaf among the first `old` makes a different old tree, which the proof no longer links.
        i = data.draw(st.integers(0, old - 1))
        changed = [*hashes[:i], _flip(hashes[i]), *hashes[i + 1:]]
        assert not merkle.verify_consistency(old, new, proof, merkle.mth(changed, old), new_root)
        k = data.draw(st.integers(0, len(proof) - 1))
        assert not merkle.verify_consistency(old, new, [*proof[:k], _flip(proof[k]), *proof[k + 1:]], old_root,
                                             new_root)
