"""Digit Sheet Reader: read handwritten digits from photos of paper sheets.

The package is split by concern, with data flowing one way:

- :mod:`utils.errors`   -- exceptions that map to command-line exit codes
- :mod:`utils.dataset`  -- loading MNIST-style data sets (CSV, IDX, npz, folders)
- :mod:`utils.augment`  -- on-the-fly augmentation that makes MNIST look photographed
- :mod:`utils.models`   -- the MLP and CNN architectures
- :mod:`utils.training` -- the training loop shared by ``train_mlp.py`` / ``train_cnn.py``
- :mod:`utils.bundle`   -- the ``*.model`` bundle format (Keras dir + LiteRT + metadata)
- :mod:`utils.runtime`  -- one inference interface, LiteRT or Keras behind it
- :mod:`utils.plots`    -- digit grids, training curves, confusion matrices
"""

__version__ = "0.1.0"
