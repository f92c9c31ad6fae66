package dev.kiln.annotations;

/**
 * How a layer's weights are initialized by {@code <Name>Model.create(seed)} (biases: {@link
 * BiasInit}). {@code fanIn} and {@code fanOut} are {@code kh*kw*in} and {@code kh*kw*out} for a
 * convolution, {@code in} and {@code out} for a dense layer.
 */
public enum Init {
  /** Uniform in {@code ±sqrt(6 / (fanIn + fanOut))} (Keras' default). */
  GLOROT_UNIFORM,
  /** Normal with standard deviation {@code sqrt(2 / (fanIn + fanOut))}. */
  GLOROT_NORMAL,
  /** Uniform in {@code ±sqrt(6 / fanIn)}, for ReLU networks. */
  HE_UNIFORM,
  /** Normal with standard deviation {@code sqrt(2 / fanIn)}, for ReLU networks. */
  HE_NORMAL,
  /**
   * Normal with standard deviation 1, ignoring the fans ({@code tf.random_normal}'s default): the
   * lecture's "before Xavier" initialization, kept to show why Glorot and He matter.
   */
  STANDARD_NORMAL
}
