"""Join the pieces of broken digits where their union reads as one digit."""

import numpy as np

from ..recognise import geometric_mean, read_regions, width_in_heights
from .settings import REFINE


def _joinable(a, b, h, wide=1.0, whole=False):
    """Two regions that may be pieces of one broken digit: nearly touching,
    at least one of them less than a whole digit (or the two sharing most
    of their columns: the halves of a 0; or, if ``whole``, of any size),
    and their union a digit's size (``wide`` digit heights at most)."""
    x_gap, y_gap = a.gaps(b)
    partial = (whole or min(a.box[2], b.box[2]) < REFINE.piece_width * h
               or min(a.box[3], b.box[3]) < REFINE.piece_tallest * h or a.shared_columns(b) > REFINE.join_shared)
    union = a.merged(b).box
    # A piece within ``a``'s columns adds no width (a 0 written wide whose
    # side came apart; not an underline, wider than its digit).
    widest = max(wide * max(h, union[3]), a.box[2])
    return (x_gap < REFINE.join_gap * h and y_gap < REFINE.join_rise * h and partial
            and union[2] <= widest and union[3] <= REFINE.join_tallest * h)


def join_broken(labels, read, digit_height, darkness, classify, check=None):
    """``read`` with pieces of one broken digit (a 5's floating bar, a 4 in
    two strokes) joined, where the union reads as a digit more surely than
    the pieces apart. Each region joins at most one other. With a
    checker, a union wider than a digit is high (up to ``REFINE.join_wide``: a
    wide 4 whose bar broke) is tried too, and joined only if the checker
    takes it for one digit."""
    h = float(digit_height)
    regions = read.regions
    wide = REFINE.join_wide if check is not None else 1.0
    order = sorted(range(len(regions)), key=lambda i: regions[i].box[0])
    # Digit-sized pieces are tried too where both read unsurely (a 4 written
    # in two strokes, each as tall as the digit); the checker must agree.
    unsure = (read.confidences < REFINE.unsure_pieces) & (check is not None)
    pairs = [(i, j) for k, i in enumerate(order) for j in order[k + 1:k + 4]
             if _joinable(regions[i], regions[j], h, wide, whole=unsure[i] and unsure[j])]
    if not pairs:
        return read
    unions = read_regions(labels, [regions[i].merged(regions[j]) for i, j in pairs], darkness, classify)
    one, pieces = _one_digit_evidence(unions, read, sorted({i for pair in pairs for i in pair}), check)
    doubted = _wide_and_doubted(unions, one, h)
    gains = []
    for k, (i, j) in enumerate(pairs):
        conf, apart = unions.confidences[k], geometric_mean(read.confidences[[i, j]])
        if conf < REFINE.join_confidence or doubted[k]:
            continue
        if conf > apart + REFINE.join_margin or (check is not None and one[k] > max(REFINE.one_digit, pieces[i] * pieces[j])):
            gains.append((conf - apart, k, i, j))
    used, joined = set(), {}
    for _, k, i, j in sorted(gains, reverse=True):
        if i not in used and j not in used:
            used |= {i, j}
            joined[min(i, j)] = k
    for i in sorted(used, reverse=True):  # the union takes the first one's place, the other goes
        read = read.replace(i, unions, [joined[i]] if i in joined else [])
    return read


def _wide_and_doubted(unions, one, h):
    """For each union: wider than a digit is high (only tried with a
    checker) and not taken for one digit by the checker. Narrower ones are
    not doubted: the checker takes many a broken digit for pieces (a 7
    whose bar came apart: 0.83 "not one")."""
    return [width_in_heights(r.box, h) > 1.0 and o < 0.5 * c for r, o, c in zip(unions.regions, one, unions.confidences)]


def _one_digit_evidence(unions, read, pieces, check):
    """Confidence times the checker's P(one digit), of every union and of
    ``read``'s regions ``pieces`` (a dict by index); confidences alone
    without a checker. The checker is asked once, in one batch."""
    if check is None:
        return unions.confidences, dict(enumerate(read.confidences))
    p_one = 1.0 - check(np.concatenate([unions.crops, read.crops[pieces]]))
    one = unions.confidences * p_one[:len(unions.crops)]
    return one, dict(zip(pieces, read.confidences[pieces] * p_one[len(unions.crops):]))


def join_fragments(labels, read, digit_height, darkness, classify, fragments=(), check=None):
    """``read`` with loose pieces of stroke that segmentation set aside as
    dashes or dots (``fragments``) joined back to the digit they came
    apart from; each digit takes at most one, the one it reads surest with."""
    h = float(digit_height)
    wide = REFINE.join_wide if check is not None else 1.0
    pairs = [(i, f) for f in fragments if max(f.box[2:]) >= REFINE.fragment_length * h
             for i, r in enumerate(read.regions) if not r.piece and _joinable(r, f, h, wide)]
    if not pairs:
        return read
    unions = read_regions(labels, [read.regions[i].merged(f) for i, f in pairs], darkness, classify)
    doubted = _wide_and_doubted(unions, _one_digit_evidence(unions, read, [], check)[0], h)
    best = {}  # region index -> union index
    for k, (i, _) in enumerate(pairs):
        conf = unions.confidences[k]
        if conf >= REFINE.join_confidence and conf >= read.confidences[i] - REFINE.join_margin and not doubted[k]:
            if i not in best or conf > unions.confidences[best[i]]:
                best[i] = k
    taken = set()
    for i, k in sorted(best.items(), key=lambda item: -unions.confidences[item[1]]):
        fragment = pairs[k][1].ids[0]
        if fragment not in taken:
            taken.add(fragment)
            read = read.replace(i, unions, [k])  # one region for one: indices stay valid
    return read
