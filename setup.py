from setuptools import find_packages, setup

setup(
    name="digit-sheet-reader",
    version="0.1.0",
    description="Read handwritten digits from photos and scans of paper sheets.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["utils", "utils.*"]),
    py_modules=["recognize", "train_mlp", "train_cnn"],
    install_requires=[
        "numpy>=1.26",
        "tensorflow>=2.18",          # brings Keras 3
        "keras>=3.8",
        # Headless build: the GUI build needs libGL/X and its imshow aborts without a display.
        # OpenCV 5: the golden images and the benchmark figures are measured on it (its
        # Hershey text renders differently from 4.x's); the code runs on 4.10+ too.
        "opencv-python-headless>=5.0",
        "imutils>=0.5.4",
        "scikit-image>=0.24",
        "ai-edge-litert>=1.2",       # fast inference without importing TensorFlow
        "tqdm>=4.66",
        "matplotlib>=3.8",
    ],
    extras_require={
        # rapidfuzz: edit distance for the benchmark's scorer; dask: the batch
        # tests compare a LocalCluster run with a local one.
        "test": ["pytest>=8", "rapidfuzz>=3", "dask[distributed]>=2024.1"],
        # Scale-out of batch jobs on a Dask cluster (recognize.py --scheduler).
        "dask": ["dask[distributed]>=2024.1"],
    },
)
