"""Data-set loaders for training and evaluation (MNIST in CSV, IDX, npz or folders).

Never imported by the reading path."""
