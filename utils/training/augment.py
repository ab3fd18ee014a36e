"""On-the-fly augmentation that makes MNIST digits look like digits cut out
of real photos by the reader's segmentation.

Segmented digits differ from MNIST in slant, position inside the box, size,
stroke width (thin ball-point vs felt marker) and sharpness (phone blur,
JPEG). The default pipeline varies exactly these, and nothing else:

=====================  =================================================
rotation               up to +-15 degrees
shift                  up to +-10 % of the side, each axis
scale                  0.8 to 1.2
shear                  up to +-0.15 (slanted handwriting)
stroke width           20 % of digits thinned or thickened by ~1 px
blur                   a 3x3 Gaussian mixed in with strength 0..0.4
=====================  =================================================

The geometric parameters are drawn from a triangular distribution over
these ranges: extremes occur, mild distortions are the rule.

The layers run inside the training graph only (Keras random layers are
no-ops at inference) and are never saved with the model.
"""

import math

import keras
from keras import layers, ops


class RandomAffine(layers.Layer):
    """Rotate, shear, scale and shift each image with one random affine map.

    One interpolation per image instead of one per transform keeps strokes
    as sharp as the originals.
    """

    def __init__(self, rotation=15.0, shift=0.1, scale=0.2, shear=0.15, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rotation, self.shift, self.scale, self.shear = rotation, shift, scale, shear
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]
        # Triangular on [-1, 1] (mean of two uniforms): the full ranges are
        # reached, but most digits get a mild distortion, as most handwriting
        # is only mildly unlike MNIST.
        u = keras.random.uniform((batch, 2, 5), -1.0, 1.0, seed=self.seed_generator)
        u = ops.mean(u, axis=1)
        # The transform maps output pixels to input pixels; the sampled
        # distributions are symmetric, so sampling the inverse map directly
        # gives the same family of distortions.
        angle = u[:, 0] * self.rotation * math.pi / 180.0
        zoom = 1.0 / (1.0 + u[:, 1] * self.scale)
        shear = u[:, 2] * self.shear
        cos, sin = ops.cos(angle) * zoom, ops.sin(angle) * zoom
        a0, a1 = cos, cos * shear - sin
        b0, b1 = sin, sin * shear + cos
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        a2 = cx - a0 * cx - a1 * cy + u[:, 3] * self.shift * width
        b2 = cy - b0 * cx - b1 * cy + u[:, 4] * self.shift * height
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(images, transform, interpolation="bilinear", fill_mode="constant")


class RandomInk(layers.Layer):
    """Randomly thicken or thin strokes and soften edges, per image.

    Thickening is a 2x2 grey dilation (max-pool), thinning a 2x2 grey
    erosion; blur mixes in a 3x3 Gaussian with a random weight.
    """

    def __init__(self, width_probability=0.2, max_blur=0.4, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.width_probability = width_probability
        self.max_blur = max_blur
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = ops.shape(images)[0]
        draws = keras.random.uniform((batch, 3, 1, 1, 1), seed=self.seed_generator)
        dilated = ops.max_pool(images, pool_size=2, strides=1, padding="same")
        eroded = -ops.max_pool(-images, pool_size=2, strides=1, padding="same")
        p = self.width_probability / 2
        thicker = ops.cast(draws[:, 0] < p, images.dtype)
        thinner = ops.cast(draws[:, 0] > 1 - p, images.dtype)
        images = images + thicker * (dilated - images) + thinner * (eroded - images)
        kernel = ops.convert_to_tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
        blurred = ops.depthwise_conv(images, ops.reshape(kernel, (3, 3, 1, 1)), padding="same")
        alpha = draws[:, 1] * self.max_blur
        return images + alpha * (blurred - images)


def build_augmenter(seed=0, rotation=15.0, shift=0.1, scale=0.2, shear=0.15, ink=True):
    """Return a Sequential of random layers implementing the table above.

    Parameters
    ----------
    seed : int
        Seeds every random layer, so training is reproducible.
    rotation : float
        Maximum rotation in degrees.
    shift, scale, shear : float
        Maximum translation (fraction of side), zoom (0.2 = 0.8..1.2) and shear.
    """
    stack = [RandomAffine(rotation, shift, scale, shear, seed=seed)]
    if ink:
        stack.append(RandomInk(seed=seed + 1))
    return keras.Sequential(stack, name="augment")
