"""The reading pipeline, one module a stage (see :mod:`.reader` for their order):

load -> tables/cells -> page -> ink -> regions -> crops/recognise -> upright -> refine -> reject -> lines -> result.
"""

# How a page is laid out (SheetReader's ``layout``, the CLI's --layout): here, so the CLI need not load OpenCV.
LAYOUTS = ("auto", "lines", "table")
