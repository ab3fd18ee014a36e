"""The reading pipeline, one module a stage (see :mod:`.reader` for their order):

page -> ink -> regions -> crops/recognise -> upright -> refine -> reject -> lines -> result.
"""
