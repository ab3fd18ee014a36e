"""Digit Sheet Reader: read handwritten digits from photos and scans of paper sheets.

Installed as ``digit_sheet_reader`` (the folder is ``utils/`` in a clone).
One subpackage per concern, data flowing one way::

    io        images in, files out, the annotated image
    models    the bundle format, runtimes, sequence decoding, the shipped models
    pipeline  the reading stages, the reader that runs them, the result tree
    batch     jobs over folders (cli: the command line)
    data      data-set loaders            } above the reading path,
    synth     synthetic sheets, scoring   } never imported by it
    training  recognisers and helpers     }

Examples
--------
>>> from digit_sheet_reader import SheetReader      # doctest: +SKIP
>>> print(SheetReader().read("examples/sheet.jpg").text)  # doctest: +SKIP
"""

from .version import __version__

__all__ = ["__version__", "SheetReader", "ModelSet", "Page"]


def __getattr__(name):
    # Lazy: ``import digit_sheet_reader`` stays cheap (no OpenCV) until the reader is asked for.
    if name == "SheetReader":
        from .pipeline.reader import SheetReader

        return SheetReader
    if name == "ModelSet":
        from .models.shipped import ModelSet

        return ModelSet
    if name == "Page":
        from .pipeline.result import Page

        return Page
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
