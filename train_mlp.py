#!/usr/bin/env python
"""Train the multi-layer perceptron recogniser and write output/mnist_mlp.model.

Default: 784-256-256-10 with ReLU and softmax, as in the classic tutorial,
with on-the-fly augmentation and a held-out validation split.
"""

from digit_sheet_reader.errors import run_cli
from digit_sheet_reader.training.recogniser import add_training_arguments, new_parser, train_and_save


def main(argv=None):
    parser = new_parser(__doc__, "python train_mlp.py --epochs 40 --hidden 256 256 --dropout 0.1")
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256], help="hidden layer sizes (default: 256 256)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout after each hidden layer (default: 0)")
    add_training_arguments(parser, {"out": "output/mnist_mlp.model", "epochs": 40, "batch_size": 100, "optimizer": "adam"})
    args = parser.parse_args(argv)

    from digit_sheet_reader.training.architectures import build_mlp

    def build(name):
        return build_mlp(args.hidden, args.dropout, args.num_classes, name=name)

    train_and_save(args, build, "mlp")
    return 0


if __name__ == "__main__":
    run_cli(main)
