"""Training the recognisers and helper models, and evaluating, packing and exporting them.

Needs the ``train`` extra (TensorFlow/Keras, matplotlib). Never imported by the reading path."""
