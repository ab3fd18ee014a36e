"""The models that ship with the package, and the set of models a reader uses.

In a clone the shipped models are the bundles in ``output/``; an installed
package carries the same bundles as package data. Either way
:func:`shipped_dir` finds them, so ``SheetReader()`` and the command line
work from any folder.

Besides the digit recogniser, the reader asks a few *helper* models where
the recogniser alone is weak (touching digits, broken strokes). Each helper
is optional: one that is missing or unreadable is left out with a warning
(see :meth:`ModelSet.load`), never silently.

Examples
--------
>>> models = ModelSet.shipped()
>>> models.recogniser.name, models.strings.name
('mnist_cnn.model', 'digit_strings.model')
>>> ModelSet.alone("output/mnist_mlp.model").checker is None
True
"""

from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..errors import ModelError

RECOGNISER = "mnist_cnn.model"
MLP = "mnist_mlp.model"
# The helpers' shipped bundles, by the ModelSet field that holds them.
HELPERS = {
    "checker": "digit_check.model",
    "strings": "digit_strings.model",
    "hard_strings": "digit_strings_hard.model",
    "second": "mnist_cnn_broken.model",
    "skipping": "mnist_cnn_skipping.model",
}
# Fine-tuned from the shipped CNN: asked beside it only, not beside another recogniser.
PAIRED_WITH_SHIPPED_CNN = ("second", "skipping")


def shipped_dir():
    """The folder that holds the shipped model bundles."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "shipped", package.parent / "output"):
        if (candidate / RECOGNISER).is_dir():
            return candidate
    raise ModelError(f"the shipped models are missing (looked in {package / 'shipped'} and {package.parent / 'output'}): "
                     "reinstall the package")


def resolve_model(path):
    """``path`` as given if it exists; else, if its name is a shipped model's
    (``output/mnist_cnn.model`` run from another folder), the shipped one;
    else ``path`` unchanged (loading it then says what is wrong)."""
    path = Path(path)
    if path.exists():
        return path
    shipped = (RECOGNISER, MLP, *HELPERS.values())
    if path.name in shipped and (len(path.parts) == 1 or path.parts[-2] == "output"):
        try:
            return shipped_dir() / path.name
        except ModelError:
            return path
    return path


def is_shipped_cnn(path):
    """True if ``path`` is the shipped CNN, wherever it lies (same bundle description)."""
    try:
        ours = (shipped_dir() / RECOGNISER / "bundle.json").read_bytes()
        return (Path(path) / "bundle.json").read_bytes() == ours
    except (OSError, ModelError):
        return False


@dataclass(frozen=True)
class ModelSet:
    """The model bundles a :class:`~digit_sheet_reader.pipeline.reader.SheetReader` uses.

    Every field but ``recogniser`` may be None: that helper is not asked.
    """

    recogniser: Path  # reads one 28x28 crop as a digit (CNN or MLP)
    checker: Path = None  # judges whether a crop holds one digit or several (where to split)
    strings: Path = None  # sequence reader: reads a region of joined digits as a string
    hard_strings: Path = None  # a second sequence reader, averaged with the first on joined regions
    second: Path = None  # a CNN fine-tuned on broken strokes: a second opinion on unsure digits
    skipping: Path = None  # one fine-tuned longer: the second opinion on pages where the pen skips

    @classmethod
    def shipped(cls, recogniser=None):
        """The shipped recogniser (or ``recogniser``) with the shipped helpers
        that suit it: the broken-stroke CNNs only beside the shipped CNN."""
        folder = shipped_dir()
        main = resolve_model(recogniser) if recogniser is not None else folder / RECOGNISER
        helpers = {name: folder / bundle for name, bundle in HELPERS.items()}
        if not is_shipped_cnn(main):
            helpers.update(dict.fromkeys(PAIRED_WITH_SHIPPED_CNN))
        return cls(Path(main), **helpers)

    @classmethod
    def alone(cls, recogniser):
        """The recogniser with no helper at all."""
        return cls(resolve_model(recogniser))

    def without(self, *names):
        """This set with the named helpers left out."""
        return replace(self, **dict.fromkeys(names))

    def helpers(self):
        """(name, path) of every helper asked for."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)[1:] if getattr(self, f.name) is not None]

    def to_dict(self):
        return {f.name: None if getattr(self, f.name) is None else str(getattr(self, f.name)) for f in fields(self)}
