"""Refine: regions -> regions, read again where the first reading may be wrong.

**Joined digits, read as a sequence** (where ``output/digit_strings.model``
ships): regions the checker says are not one digit are read by the
sequence reader (:mod:`digit_sheet_reader.training.sequence_reader`), and those it reads surely as
several digits are cut where it saw one digit end and the next begin.

**Touching digits** that are left. Two or three digits joined by ink form one connected
region, too wide for one digit of the page's height. Over-segment, then
validate:

1. A region is a candidate if it is wider than ``REFINE.wide`` digit heights
   (its own or the page's, whichever is larger).
2. Candidate cuts start at the minima of its column ink profile (where
   the join is thinnest) and at even divisions of its width, and follow
   the path through the least ink from top to bottom, into two pieces
   and, for very wide regions, three.
3. Every candidate piece is normalised and read, all in one batch; a
   split is kept only if each piece reads confidently and the split as a
   whole is more convincing than the region read as one digit, weighed by
   how likely the region is to hold several digits: from its width, and
   from the one-digit checker (:mod:`digit_sheet_reader.training.one_digit_checker`) where it ships. The
   halves of a single digit often read as digits too (a 0 as two 1s), so
   the recogniser alone is no evidence: a genuinely wide digit (a flat 0,
   a 7 with a long bar) read surely stays whole.

**Broken digits.** Near fragments whose union reads as a digit more surely
than the pieces apart are joined; digits still read unsurely are read
again with the gaps in their strokes closed.

**A second opinion** (where ``output/mnist_cnn_broken.model`` ships):
digits still read less than ``REFINE.second_unsure`` surely, other than the
pieces of split regions, are labelled by the recogniser and a CNN
fine-tuned on broken strokes together (their probabilities averaged); on
a page where the pen skips (many digits joined from pieces), every digit
is, a CNN fine-tuned longer on broken strokes weighing most
(``output/mnist_cnn_skipping.model``, where it ships).

**Which way up** a view is, the reader judges by how surely it reads
(:func:`view_confidence`): by the sequence reader, which reads joined
digits as they are, where it ships.
"""

from .join import join_broken, join_fragments
from .second_opinion import reread_bridged, second_opinion
from .settings import REFINE, RefineSettings
from .split import split_by_strings, split_touching

__all__ = ["REFINE", "RefineSettings", "join_broken", "join_fragments", "reread_bridged", "second_opinion",
           "split_by_strings", "split_touching"]
