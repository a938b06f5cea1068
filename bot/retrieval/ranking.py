"""Top-k selection and reciprocal-rank fusion whose cost does not grow with a full sort.

Both give exactly what sorting every passage would (ties broken by position, as a stable
sort breaks them), but only order a few candidates: `np.argpartition`-style selection is
linear in the corpus, and fusion scores the union of each list's leaders only.
"""

from __future__ import annotations

import numpy as np

RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al. 2009)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest scores, best first, ties by index: the same as
    `np.argsort(-scores, kind="stable")[:k]` without sorting the rest."""
    n = len(scores)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if k >= n:
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, n - k)[n - k]  # the k-th highest value
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: k - len(above)]  # the lowest indices win ties
    chosen = np.concatenate([above, tied])  # each part ascending, the parts' values disjoint
    return chosen[np.argsort(-scores[chosen], kind="stable")]


def fused_top(
    lists: tuple[np.ndarray, ...], k: int, eligible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best eligible indices by reciprocal-rank fusion of `lists` (each a score per
    item; an item scoring 0 or less in a list earns nothing from it), best first, with their
    fused scores: exactly what fusing the full rankings would give.

    Only the leaders of each list are scored. An item outside the top `m` of every list has
    a fused score of at most `len(lists) / (RRF_K + m + 1)`; once the k-th best candidate
    beats that, nobody outside can enter. With two lists and no ineligible items,
    `m = 2k + RRF_K` always suffices (the top k of one list alone score 1/(RRF_K + k)).
    """
    n = len(lists[0])
    m = len(lists) * (k + RRF_K)
    while True:
        m = min(m, n)
        leaders = [top_k(scores, m) for scores in lists]
        candidates = np.unique(np.concatenate(leaders))  # ascending: ties go by index
        if eligible is not None:
            candidates = candidates[eligible[candidates]]
        fused = np.zeros(len(candidates), dtype=np.float64)
        for scores, leading in zip(lists, leaders, strict=True):
            earns = scores[candidates] > 0
            fused[earns] += 1.0 / (RRF_K + ranks(scores, leading, candidates[earns]))
        order = np.argsort(-fused, kind="stable")[:k]
        bound = len(lists) / (RRF_K + m + 1)
        if m == n or (len(order) == k and fused[order[-1]] > bound):
            return candidates[order], fused[order]
        m *= 2


def ranks(scores: np.ndarray, leading: np.ndarray, items: np.ndarray) -> np.ndarray:
    """1-based places of `items` in the stable descending order of `scores`, given its first
    places `leading` (from `top_k`); the items outside them are counted."""
    place = np.empty(len(items), dtype=np.int64)
    by_index = np.argsort(leading)
    at = np.minimum(np.searchsorted(leading[by_index], items), len(leading) - 1)
    led = leading[by_index[at]] == items
    place[led] = by_index[at[led]] + 1
    rest = np.flatnonzero(~led)
    if len(rest):
        values = scores[items[rest]]
        ascending = np.sort(scores)  # values only, no index sort: cheap next to argsort
        above = len(scores) - np.searchsorted(ascending, values, side="right")
        equal = np.searchsorted(ascending, values, side="right") - np.searchsorted(
            ascending, values, side="left"
        )
        place[rest] = above + 1
        for slot in np.flatnonzero(equal > 1):  # a tie: the lower index goes first
            i, value = items[rest[slot]], scores[items[rest[slot]]]
            place[rest[slot]] += int(np.count_nonzero(scores[:i] == value))
    return place
