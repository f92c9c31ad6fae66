package dev.kiln.annotations;

/** How a layer's biases are initialized by {@code <Name>Model.create(seed)}. */
public enum BiasInit {
  /** All zero: what Keras, PyTorch's practice and the lecture's later labs do. */
  ZEROS,
  /**
   * Normal with standard deviation 1 ({@code tf.random_normal}'s default): the lecture's early
   * labs initialize biases this way together with {@link Init#STANDARD_NORMAL} weights.
   */
  STANDARD_NORMAL
}
