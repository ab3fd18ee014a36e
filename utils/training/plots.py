"""Figures written next to a trained model: digit grids, curves, confusion.

All functions write a PNG with matplotlib's non-interactive Agg backend, so
they work on servers without a display.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402


def plot_dataset(images, labels, path, predictions=None, rows=4, cols=4, title=None):
    """Save a grid of digits with their true (and predicted) labels.

    Wrong predictions are titled in red, so a grid of a model's mistakes
    reads at a glance.

    Examples
    --------
    >>> plot_dataset(ds.images[:16], ds.labels[:16], "grid.png")  # doctest: +SKIP
    """
    count = min(len(images), rows * cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i >= count:
            continue
        ax.imshow(np.squeeze(images[i]), cmap="gray")
        text, colour = f"true {labels[i]}", "black"
        if predictions is not None:
            text += f"  pred {predictions[i]}"
            colour = "black" if str(predictions[i]) == str(labels[i]) else "red"
        ax.set_title(text, fontsize=8, color=colour)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_history(histories, path):
    """Save loss and accuracy per epoch, training and validation, as one PNG.

    ``histories`` is a list of Keras ``History.history`` dicts (one per
    ensemble member; a single model gives a list of one).
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for i, history in enumerate(histories):
        tag = f" #{i + 1}" if len(histories) > 1 else ""
        epochs = np.arange(1, len(history["loss"]) + 1)
        for key, style in (("", "-"), ("val_", "--")):
            name = "validation" if key else "train"
            ax_loss.plot(epochs, history[f"{key}loss"], style, label=f"{name}{tag}")
            ax_acc.plot(epochs, history[f"{key}accuracy"], style, label=f"{name}{tag}")
    ax_loss.set(title="loss", xlabel="epoch", yscale="log")
    ax_acc.set(title="accuracy", xlabel="epoch")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(matrix, labels, path, title="confusion matrix (test set)"):
    """Save a confusion matrix (rows: true class, columns: predicted) as PNG."""
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(7, 6))
    # Log colour scale: the diagonal would otherwise drown every mistake.
    ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set(xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels, yticklabels=labels,
           xlabel="predicted", ylabel="true", title=title)
    threshold = np.log1p(matrix).max() / 2
    for (row, col), value in np.ndenumerate(matrix):
        if value:
            colour = "white" if np.log1p(value) > threshold else "black"
            ax.text(col, row, str(value), ha="center", va="center", fontsize=7, color=colour)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
