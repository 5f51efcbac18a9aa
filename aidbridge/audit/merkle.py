"""A Merkle tree in the RFC 9162 (Certificate Transparency v2) shape: pure Python, no Django.

- leaf hash ``H(0x00 ‖ leaf)``, node hash ``H(0x01 ‖ left ‖ right)``, H = SHA-256;
- ``mth``: the Merkle Tree Hash of the first n leaves (§2.1.1);
- ``inclusion_path`` / ``verify_inclusion``: PATH and its verifier (§2.1.3.1, §2.1.3.2);
- ``consistency_proof`` / ``verify_consistency``: PROOF and its verifier (§2.1.4.1, §2.1.4.2).

Everything works on leaf *hashes*; each function is linear in the number of leaves it covers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def mth(hashes: Sequence[bytes], n: int | None = None) -> bytes:
    """The tree head of the first ``n`` leaf hashes (all of them by default)."""
    n = len(hashes) if n is None else n
    if not 0 <= n <= len(hashes):
        raise ValueError(f"tree size {n} is outside 0..{len(hashes)}")
    return _mth(hashes, 0, n)


def _path(m: int, hashes: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, hashes, lo, lo + k), _mth(hashes, lo + k, hi)]
    return [*_path(m - k, hashes, lo + k, hi), _mth(hashes, lo, lo + k)]


def inclusion_path(index: int, hashes: Sequence[bytes], n: int | None = None) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf ``index`` in the tree of the first ``n`` leaves."""
    n = len(hashes) if n is None else n
    if not 0 <= index < n <= len(hashes):
        raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
    return _path(index, hashes, 0, n)


def _subproof(m: int, hashes: Sequence[bytes], lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [_mth(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes, lo, lo + k, complete), _mth(hashes, lo + k, hi)]
    return [*_subproof(m - k, hashes, lo + k, hi, False), _mth(hashes, lo, lo + k)]


def consistency_proof(m: int, hashes: Sequence[bytes], n: int | None = None) -> list[bytes]:
    """PROOF(m, D[n]): that the tree of the first ``m`` leaves is a prefix of the tree of the first ``n``.

    Empty when m is 0 or m == n (nothing to prove).
    """
    n = len(hashes) if n is None else n
    if not 0 <= m <= n <= len(hashes):
        raise ValueError(f"no consistency proof from size {m} to size {n}")
    if m == 0 or m == n:
        return []
    return _subproof(m, hashes, 0, n, True)


def verify_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove leaf hash ``leaf`` sits at ``index`` in the tree with ``root``?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first_size: int, second_size: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (first_size, first_root) a prefix of (second_size, second_root)?

    The trivial cases the RFC leaves out: sizes equal (empty proof, equal roots) and an empty first tree
    (empty proof, which every tree extends).
    """
    if not 0 <= first_size <= second_size:
        return False
    if first_size == second_size:
        return not proof and first_root == second_root
    if first_size == 0:
        return not proof and first_root == EMPTY_ROOT
    path = list(proof)
    if not path:
        return False
    if first_size & (first_size - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
