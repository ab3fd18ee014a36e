#!/usr/bin/env python
"""Train the convolutional recogniser and write output/mnist_cnn.model.

Architectures (--arch): "bn", a small modern CNN with batch norm and
dropout (default), and "classic", the two-convolution Keras tutorial net.
--ensemble N trains N members with seeds seed..seed+N-1 and packs them into
one model that averages their outputs.
"""

from digit_sheet_reader.errors import run_cli
from digit_sheet_reader.training.recogniser import add_training_arguments, new_parser, train_and_save


def main(argv=None):
    parser = new_parser(__doc__, "python train_cnn.py --arch bn --epochs 24 --ensemble 2")
    parser.add_argument("--arch", choices=["bn", "classic"], default="bn", help="architecture (default: %(default)s)")
    parser.add_argument("--ensemble", type=int, default=1, help="number of members packed into one model (default: 1)")
    add_training_arguments(parser, {"out": "output/mnist_cnn.model", "epochs": 24, "batch_size": 128,
                                    "optimizer": "adam", "lr_decay": 0.85})
    args = parser.parse_args(argv)
    if args.ensemble < 1:
        parser.error("--ensemble must be at least 1")

    from digit_sheet_reader.training.architectures import CNN_ARCHITECTURES

    def build(name):
        return CNN_ARCHITECTURES[args.arch](num_classes=args.num_classes, name=name)

    train_and_save(args, build, f"cnn-{args.arch}", ensemble=args.ensemble)
    return 0


if __name__ == "__main__":
    run_cli(main)
