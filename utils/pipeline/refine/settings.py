"""The tuned numbers of the refine stage, in one place (see :mod:`.`)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RefineSettings:
    """Second looks: joining, splitting and re-reading regions.

    Lengths are in digit heights (the region's own or the page's, whichever is larger);
    confidences are probabilities.
    """

    wide: float = 0.85  # narrower than this (digit heights) is never split
    piece_confidence: float = 0.7  # each piece of a split must read at least this surely
    two_width: float = 1.1  # width (digit heights) at which a region is as likely two digits as one
    two_spread: float = 0.1  # spread (digit heights) of that width prior's logistic
    sure_whole: float = 0.95  # a region read this surely as one digit ...
    plausible_width: float = 1.5  # ... and no wider than this (digit heights) stays whole
    join_confidence: float = 0.9  # broken pieces are joined if their union reads at least this surely ...
    join_margin: float = 0.05  # ... and beats the pieces read apart by this
    one_digit: float = 0.25  # least confidence x P(one digit) for a union of sure pieces (with a checker)
    unsure_pieces: float = 0.6  # two digit-sized pieces both read less surely than this are tried as one
    join_shared: float = 0.5  # pieces sharing more than this share of the narrower's columns are one digit
    join_wide: float = 1.3  # widest union tried (digit heights), with a checker
    join_gap: float = 0.12  # pieces of one digit are no farther apart side by side than this ...
    join_rise: float = 0.25  # ... nor vertically than this
    join_tallest: float = 1.35  # ... and their union no taller than this
    piece_width: float = 0.45  # a region narrower than this ...
    piece_tallest: float = 0.75  # ... or shorter than this is less than a whole digit
    fragment_length: float = 0.25  # a loose dash at least this long (digit heights) may join its digit
    min_piece: float = 0.15  # pieces narrower than this share of the height are not digits
    piece_height: float = 0.65  # ... nor pieces shorter than this share of it (of a region the checker is
    # sure_whole sure holds several digits: shorter than any digit, REGIONS.least_height of the page's)
    string_narrowest: float = 0.45  # the sequence reader looks at regions wider than this (digit heights)
    string_sure: float = 0.9  # ... and splits those it reads as several digits at least this surely
    string_alone: float = 0.99  # a 1 the recogniser reads otherwise must be read this surely
    whole_sure: float = 0.999  # a region read whole this surely disputes the 1s a sequence reading adds to its digit
    string_wide: float = 1.3  # a region this wide (digit heights) that is not one digit loses a digit read whole
    string_wide_sure: float = 0.5  # ... so there the sequence reading is taken from this sure
    whole_doubted: float = 0.8  # a region not one digit and read whole less surely than this ...
    doubted_sure: float = 0.5  # ... takes the sequence reading from this sure
    joined_share: float = 0.15  # share of wide, not-one-digit regions at which a page is written joined
    joined_sure: float = 0.5  # on such a page the sequence readings are taken from this sure
    joined_alone: float = 0.8  # ... and a disputed 1 from this sure
    joined_check: float = 0.0  # on such a page, the checker's odds of several digits from which a region is read as a sequence
    string_shifts: tuple = (0, -2, 2, -1, 1)  # canvas shifts (columns) each wide region is read at
    second_unsure: float = 0.99  # digits read less surely than this get a second opinion
    second_weight: float = 0.35  # the second opinion's weight in the average
    overrule_sure: float = 0.9  # a second recogniser this sure of another digit ...
    overrule_gain: float = 2.0  # ... weighs more if bridging gaps makes that digit this many times likelier
    overrule_weight: float = 0.65  # ... and then weighs this
    skipping_share: float = 0.1  # share of digits joined from pieces at which the pen skips on a page
    skipping_weight: float = 0.9  # the second opinion's weight on such a page
    reread_unsure: float = 0.9  # digits read less surely than this are read again with gaps bridged
    even_cuts: tuple = (0.35, 0.5, 0.65)  # a wide region is also tried cut at these shares of its width
    three_wide: float = 1.6  # a region wider than this (digit heights) is tried in three pieces too
    seam_reach: float = 0.2  # a cut may wander this far (digit heights) from where it starts
    seam_ink: float = 10.0  # a cut's cost per unit of ink crossed ...
    seam_drift: float = 0.01  # ... and per pixel it wanders from its start
    bridge: float = 0.12  # gaps up to this share of the digit height are closed when re-reading


REFINE = RefineSettings()
