"""The recogniser architectures: a classic MLP, the classic tutorial CNN and
a modern batch-normalised CNN, plus a way to pack several into one model.

Every model takes ``(28, 28, 1)`` float32 images scaled to ``[0, 1]``
(white ink on black, as MNIST) and ends in a softmax over the classes. Only
built-in Keras layers are used, so a saved model loads with Keras' safe mode
on and exports to LiteRT unchanged.
"""

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


def build_mlp(hidden=(256, 256), dropout=0.0, num_classes=10, input_shape=INPUT_SHAPE, name="mlp"):
    """784-256-256-10 with ReLU and softmax, as in the classic tutorial.

    Examples
    --------
    >>> build_mlp().count_params()
    269322
    """
    model = keras.Sequential([keras.Input(input_shape), layers.Flatten()], name=name)
    for units in hidden:
        model.add(layers.Dense(units, activation="relu"))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


def build_classic_cnn(num_classes=10, input_shape=INPUT_SHAPE, name="classic_cnn"):
    """The Keras-tutorial CNN: two 3x3 convolutions, max-pool, dense 128."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name=name,
    )


def _conv_bn(filters, kernel, strides=1):
    # Convolution without bias: the batch norm that follows has its own shift.
    return [
        layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


def build_bn_cnn(num_classes=10, input_shape=INPUT_SHAPE, width=32, dropout=0.25, name="bn_cnn"):
    """A small modern CNN: 3x3 convolutions with batch norm, downsampling by
    strided convolutions (28 -> 14 -> 7 -> 3), dropout, dense 128.

    About 0.3 M parameters and 11 M multiply-adds per digit: the convolution
    at full 28x28 resolution is kept narrow because it dominates CPU time.
    """
    stack = [keras.Input(input_shape)]
    stack += _conv_bn(width, 3) + _conv_bn(width, 3, strides=2)
    stack += _conv_bn(2 * width, 3) + _conv_bn(2 * width, 3, strides=2) + [layers.Dropout(dropout / 2)]
    stack += _conv_bn(4 * width, 3) + [layers.Conv2D(4 * width, 3, strides=2, use_bias=False),
                                       layers.BatchNormalization(), layers.Activation("relu"), layers.Dropout(dropout)]
    stack += [
        layers.Flatten(),
        layers.Dense(128, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dropout(dropout),
        layers.Dense(num_classes, activation="softmax"),
    ]
    return keras.Sequential(stack, name=name)


CNN_ARCHITECTURES = {"bn": build_bn_cnn, "classic": build_classic_cnn}


def pack_ensemble(members, name="ensemble"):
    """Average the softmax outputs of several models in one Keras model.

    The packed model is an ordinary functional model, so it saves, loads and
    exports to LiteRT like a single one; inference costs the sum of members.
    """
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(members[0].input_shape[1:])
    outputs = layers.Average()([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=name)


def members_of(model):
    """The member models of a packed ensemble, or the model itself."""
    import keras

    inner = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return inner or [model]


def renamed(member, name):
    """A copy of ``member`` under another name (packed members need unique names)."""
    config = member.get_config()
    config["name"] = name
    copy = member.__class__.from_config(config)
    copy.set_weights(member.get_weights())
    return copy
