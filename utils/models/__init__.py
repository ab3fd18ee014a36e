"""Models at inference: the ``*.model`` bundle format, the LiteRT/Keras runtimes,
sequence-model decoding, and the shipped models a reader uses."""
