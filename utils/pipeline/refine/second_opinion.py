"""Read unsure digits again: with the gaps in their strokes bridged, and
with a second recogniser's opinion averaged in."""

import numpy as np

from ...models.sequences import LABELS, one_digit_odds
from ..crops import bridges_gap, close_gaps, normalise_all
from ..recognise import Read, read_crops, string_view
from .settings import REFINE


def second_opinion(labels, read, digit_height, darkness, predict, other, classes, skipping=None, read_strings=None):
    """``read`` with its digits read less than ``REFINE.second_unsure`` surely
    labelled by two recognisers together, the second weighing
    ``REFINE.second_weight`` (``REFINE.overrule_weight`` where it is sure of another
    digit and closing the gaps in the strokes makes the recogniser itself
    find that digit far likelier). On a page where the pen skips
    (:func:`pen_skips`) every digit is asked, the second one (``skipping``
    if given) weighing ``REFINE.skipping_weight``. The pieces of split regions keep
    their labels: those of touching digits come from the sequence reader or
    were validated as a split.

    Parameters
    ----------
    predict, other : callable
        ``predict(crops) -> (N, classes)`` probabilities of the recogniser
        and of the second one (same labels, ``classes``).
    skipping : callable, optional
        The second one on a page where the pen skips (default: ``other``).
    read_strings : callable, optional
        The sequence reader's ``predict``: where given (and the classes are
        the ten digits), it has a say on the unsure digits of one piece of
        ink (:func:`_with_string_odds`).
    """
    skips = pen_skips(read.regions)
    if skips and skipping is not None:
        other = skipping
    asked = np.array([i for i, (r, c) in enumerate(zip(read.regions, read.confidences))
                      if (skips or c < REFINE.second_unsure) and not r.piece], int)
    if not len(asked):
        return read
    mine, theirs = predict(read.crops[asked]), other(read.crops[asked])
    weights = np.full(len(asked), REFINE.skipping_weight if skips else REFINE.second_weight)
    wanted = theirs.argmax(axis=1)
    doubted = np.flatnonzero((theirs.max(axis=1) >= REFINE.overrule_sure) & (wanted != mine.argmax(axis=1)))
    if len(doubted):
        bridged = predict(normalise_all(labels, [read.regions[i] for i in asked[doubted]], darkness,
                                        REFINE.bridge * float(digit_height)))
        likelier = bridged[np.arange(len(doubted)), wanted[doubted]] / mine[doubted, wanted[doubted]]
        overruled = doubted[likelier >= REFINE.overrule_gain]
        weights[overruled] = np.maximum(weights[overruled], REFINE.overrule_weight)
    probs = (1 - weights[:, None]) * mine + weights[:, None] * theirs
    if read_strings is not None and list(classes) == list(LABELS[1:]):  # its classes are the digits
        probs = _with_string_odds(labels, read, darkness, asked, probs, read_strings)
    names, confidences = list(read.names), read.confidences.copy()
    for i, p in zip(asked, probs):
        names[i], confidences[i] = classes[int(p.argmax())], float(p.max())
    return Read(read.regions, names, confidences, read.crops)


def _with_string_odds(labels, read, darkness, asked, probs, read_strings):
    """``probs`` (of regions ``asked``) times the sequence reader's odds
    that each holds that one digit, renormalised, for the unsure regions
    of one piece of ink; the others' as they were.

    The sequence reader learnt from regions found on sheets, not from
    MNIST's centred digits alone, and errs differently from the
    recognisers: a product of the experts. Regions joined from several
    pieces of ink are left to the recognisers: the sequence reader never
    saw them (:func:`digit_sheet_reader.training.harvest.harvest_strings`), and on the broken
    tier it read their pieces as separate digits.
    """
    # Unsure ones only, also on a page where the pen skips and every digit is asked.
    own = [k for k, i in enumerate(asked) if len(read.regions[i].ids) == 1 and read.confidences[i] < REFINE.second_unsure]
    if not own:
        return probs
    views = np.stack([string_view(labels, read.regions[asked[k]], darkness)[0] for k in own])
    probs = probs.copy()
    probs[own] *= one_digit_odds(read_strings(views))
    probs[own] /= np.maximum(probs[own].sum(axis=1, keepdims=True), 1e-12)
    return probs


def pen_skips(regions):
    """True where at least ``REFINE.skipping_share`` of the whole (not split)
    regions were joined from several pieces of ink."""
    whole = [r for r in regions if not r.piece]
    return bool(whole) and float(np.mean([len(r.ids) > 1 for r in whole])) >= REFINE.skipping_share


def reread_bridged(labels, read, digit_height, darkness, classify):
    """``read`` with unsure digits read again with gaps in their strokes
    closed, where that is clearly more convincing (a stroke broken by a
    skipping pen). The pieces of split regions keep their labels: bridged
    alone, a piece often reads as the stub of its neighbour's stroke closed
    into a loop (a 0 read as a 3). Closing keeps the loops a digit already
    has (:func:`digit_sheet_reader.pipeline.crops.keep_loops`): it filled a
    narrow 8's, read then as a 1.

    Where closing bridged no gap (:func:`digit_sheet_reader.pipeline.crops.bridges_gap`),
    it only added ink in the digit's angles and openings: the reading it
    gives may confirm the first one, or be a 1 (the angle of a flag filled,
    as continental writers start a 1), but not turn the digit into another
    (a 4's open top filled into a 9, a 5's into a 6)."""
    doubtful = [i for i, (r, c) in enumerate(zip(read.regions, read.confidences))
                if c < REFINE.reread_unsure and not r.piece]
    if not doubtful:
        return read
    regions = [read.regions[i] for i in doubtful]
    plain = normalise_all(labels, regions, darkness)
    bridge = REFINE.bridge * float(digit_height)
    again = read_crops(regions, np.stack([close_gaps(c, r.box, bridge) for c, r in zip(plain, regions)]), classify)
    for k, i in enumerate(doubtful):
        if again.confidences[k] <= read.confidences[i] + REFINE.join_margin:
            continue
        if again.names[k] in (read.names[i], "1") or bridges_gap(plain[k], again.crops[k]):
            read = read.replace(i, again, [k])
    return read
