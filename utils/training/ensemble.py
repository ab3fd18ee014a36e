"""Pack the members of several trained bundles into one ensemble bundle.

Training runs with different seeds can be combined without retraining
(each run is reproducible from its own command, see README)::

    python -m digit_sheet_reader.training.ensemble runs/cnn_a.model runs/cnn_b.model --out output/mnist_cnn.model

The packed model averages all members' softmax outputs; it is evaluated
once on the test set and written as a complete bundle (curves of every
member, confusion matrix, metrics naming the source bundles).
"""

import json
from pathlib import Path

from ..errors import ModelError, command_parser, run_cli


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("bundles", nargs="+", help="trained bundles whose members to pack")
    parser.add_argument("--out", required=True, help="bundle to write")
    parser.add_argument("--data", help="MNIST location (default: dataset/, then $MNIST_DIR)")
    args = parser.parse_args(argv)

    from ..data.loaders import check_labels, load_mnist
    from ..models.bundle import check_writable_parent, read_metadata
    from ..models.runtime import load_keras_model
    from .architectures import members_of, pack_ensemble, renamed
    from .recogniser import evaluate_and_save  # first: it quiets TensorFlow's C++ logging

    check_writable_parent(args.out)
    members, histories, seconds, architectures = [], [], 0.0, set()
    for bundle in args.bundles:
        meta = read_metadata(bundle)
        metrics_file = Path(bundle) / "metrics.json"
        if not metrics_file.exists():
            raise ModelError(f"{bundle}: no metrics.json: only bundles written by our training scripts can be packed")
        record = json.loads(metrics_file.read_text())
        architectures.add(meta["architecture"])
        for member in members_of(load_keras_model(bundle)):
            members.append(renamed(member, f"member_{len(members) + 1}"))
        histories += record["history"]
        seconds += record["training_seconds"]
    splits = load_mnist(args.data)
    args.num_classes = len(read_metadata(args.bundles[0])["labels"])
    check_labels(splits.test, args.num_classes)
    architecture = "+".join(sorted(architectures))
    extra = {"packed_from": [str(b) for b in args.bundles]}
    evaluate_and_save(pack_ensemble(members), splits.test, splits, histories, seconds, architecture, args, extra)
    return 0


if __name__ == "__main__":
    run_cli(main)
