package dev.kiln.annotations;

/** How a convolution or pooling window treats the border, as in TensorFlow. */
public enum Padding {
  /** No padding: {@code out = floor((in - window) / stride) + 1}. */
  VALID,
  /**
   * Pad so that {@code out = ceil(in / stride)}; the total padding {@code max((out - 1) * stride +
   * window - in, 0)} is split with the smaller half on top/left.
   */
  SAME
}
