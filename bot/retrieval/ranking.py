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

    Only the leaders of each list (its top `m`) are ranked. A leader's place in a list is
    known; an item outside a list's leaders earns at most `1 / (RRF_K + m + 1)` from it. So
    each candidate (a leader of some list) has a known part and a bound on the rest; only
    the few whose bound could reach the k-th best known score are ranked exactly (one count
    over the list each). Once the k-th best beats what an item outside every list's leaders
    could earn, nobody outside can enter; else `m` doubles. With two lists and no ineligible
    items, `m = 2k + RRF_K` always suffices (the top k of one list alone score 1/(RRF_K + k)).
    """
    n = len(lists[0])
    m = len(lists) * (k + RRF_K)
    while True:
        m = min(m, n)
        leaders = [top_k(scores, m) for scores in lists]
        candidates = np.unique(np.concatenate(leaders))  # ascending: ties go by index
        if eligible is not None:
            candidates = candidates[eligible[candidates]]
        parts = [
            _places(scores, leading, candidates)
            for scores, leading in zip(lists, leaders, strict=True)
        ]
        ceiling = 1.0 / (RRF_K + m + 1)  # the most a list gives an item outside its leaders
        known = np.zeros(len(candidates), dtype=np.float64)
        unknown = np.zeros(len(candidates), dtype=np.int64)
        for place in parts:
            known[place > 0] += 1.0 / (RRF_K + place[place > 0])
            unknown += place < 0
        if len(candidates) > k:  # only those that could reach the k-th best need their places
            threshold = np.partition(known, len(known) - k)[len(known) - k]
            contenders = np.flatnonzero(known + unknown * ceiling >= threshold)
        else:
            contenders = np.arange(len(candidates))
        fused = np.zeros(len(contenders), dtype=np.float64)
        for scores, place in zip(lists, parts, strict=True):
            mine = place[contenders]
            for slot in np.flatnonzero(mine < 0):  # earns, outside the leaders: count its place
                mine[slot] = _place(scores, int(candidates[contenders[slot]]))
            fused[mine > 0] += 1.0 / (RRF_K + mine[mine > 0])
        order = np.argsort(-fused, kind="stable")[:k]
        bound = len(lists) * ceiling
        if m == n or (len(order) == k and fused[order[-1]] > bound):
            return candidates[contenders[order]], fused[order]
        m *= 2


def _places(scores: np.ndarray, leading: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Per item (ascending indices): its 1-based place in the stable descending order of
    `scores` if it is among `leading` (that order's first places), -1 if it is not but still
    scores above 0, 0 if it earns nothing from this list."""
    by_index = np.argsort(leading)
    at = np.minimum(np.searchsorted(leading[by_index], items), len(leading) - 1)
    led = leading[by_index[at]] == items
    place = np.where(led, by_index[at] + 1, -1)
    place[scores[items] <= 0] = 0
    return place


def _place(scores: np.ndarray, item: int) -> int:
    """The 1-based place of `item` in the stable descending order of `scores`."""
    value = scores[item]
    return 1 + int(np.count_nonzero(scores > value)) + int(np.count_nonzero(scores[:item] == value))
