"""Digit Sheet Reader's package: the ``utils/`` folder installed as ``digit_sheet_reader``.

The folder keeps the project's layout name; installed under a unique import
name it can neither shadow nor merge with a user's own ``utils`` package.
The trained models in ``output/`` travel with it as ``digit_sheet_reader.shipped``.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "utils" / "version.py").read_text()).group(1)
TRAIN = [
    "tensorflow>=2.18",  # brings Keras 3
    "keras>=3.8",
    "matplotlib>=3.8",  # training curves, confusion matrices, sample grids
    "rapidfuzz>=3",  # edit distances when scoring sheets and photos, and harvesting regions
    "scipy>=1.11",  # the fewest-edit matching of read lines to true lines when scoring real photos
]
DASK = ["dask[distributed]>=2024.1"]

setup(
    name="digit-sheet-reader",
    version=VERSION,
    description="Read handwritten digits from photos and scans of paper sheets.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    package_dir={"digit_sheet_reader": "utils", "digit_sheet_reader.shipped": "output"},
    packages=["digit_sheet_reader"]
    + [f"digit_sheet_reader.{name}" for name in find_packages(where="utils")]
    + ["digit_sheet_reader.shipped"],
    package_data={"digit_sheet_reader.shipped": ["*.model/*.json", "*.model/*.tflite", "*.model/*.h5"]},
    py_modules=[],
    install_requires=[
        "numpy>=1.26",
        # Headless build: the GUI build needs libGL/X and its imshow aborts without a display.
        # OpenCV 5: the golden images are drawn with it (Hershey text renders differently in 4.x).
        "opencv-python-headless>=5.0",
        "ai-edge-litert>=1.2",  # inference without TensorFlow
        "pillow>=10",  # an image's size read from its header before decoding (the size guard)
        "tqdm>=4.66",  # batch progress
        "pypdfium2>=4.30",  # PDF pages rendered (PDFium; a wheel with no system dependency)
    ],
    extras_require={
        "train": TRAIN,
        "dask": DASK,
        # The tests train tiny models, run batches on a Dask LocalCluster, and check
        # the reader's own hysteresis threshold against scikit-image's.
        # pikepdf: the tests write an encrypted PDF with it (pypdfium2 cannot).
        "test": ["pytest>=8", "scikit-image>=0.24", "pikepdf>=9", *TRAIN, *DASK],
    },
    entry_points={"console_scripts": ["digit-sheet-reader = digit_sheet_reader.cli:run"]},
)
