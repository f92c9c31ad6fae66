package dev.kiln.runtime;

import java.util.List;
import java.util.Objects;

/**
 * What a layer computes, as plain facts that code outside the generated class can read (an ONNX
 * exporter, a tool that draws the graph): the layer's kind, the layers it reads, its window with
 * strides and padding resolved, and the activation it applies. Generated models give one to each
 * {@link Layer} ({@link Layer#operation()}); the processor writes them from the same facts it
 * generates the code from.
 *
 * @param kind what the layer itself computes
 * @param sources the names of the layers it reads, in order ({@link #INPUT} for the network's
 *     input); one except for {@link Kind#ADD} and {@link Kind#CONCAT}. Kiln's implicit flatten
 *     before a dense layer is not a layer of its own: a dense layer reads the spatial layer
 *     before it directly, and flattens it in HWC order.
 * @param window the kernel or pooling window, for convolutions and pools; null for the others
 * @param activation applied to the layer's output: fused onto it, or, for {@link
 *     Kind#ACTIVATION}, the layer itself
 * @param alpha LeakyReLU's slope for negative inputs; 0 for the other activations
 * @param epsilon a BatchNorm's epsilon (added to the variance); 0 for the other kinds
 */
public record Operation(
    Kind kind,
    List<String> sources,
    Window window,
    Activation activation,
    double alpha,
    double epsilon) {

  /** The name {@link #sources()} gives the network's input (as {@code @From} spells it). */
  public static final String INPUT = "@input";

  public Operation {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(activation, "activation");
    sources = List.copyOf(sources);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException(kind + " reads no layer");
    }
  }

  /** An operation of {@code kind} reading {@code sources}, with no window and no activation. */
  public static Operation of(Kind kind, String... sources) {
    return new Operation(kind, List.of(sources), null, Activation.NONE, 0, 0);
  }

  /** This operation over a window: kernel, strides, then the zero rows and columns on each side. */
  public Operation window(
      int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
      int padTop, int padBottom, int padLeft, int padRight) {
    return new Operation(
        kind,
        sources,
        new Window(
            kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight),
        activation,
        alpha,
        epsilon);
  }

  /** This operation followed by {@code activation}. */
  public Operation activation(Activation activation) {
    return activation(activation, 0);
  }

  /** This operation followed by {@code activation} ({@code alpha}: LeakyReLU's slope, else 0). */
  public Operation activation(Activation activation, double alpha) {
    return new Operation(kind, sources, window, activation, alpha, epsilon);
  }

  /** This operation with a BatchNorm's epsilon. */
  public Operation epsilon(double epsilon) {
    return new Operation(kind, sources, window, activation, alpha, epsilon);
  }

  /** The layer kinds. */
  public enum Kind {
    /** A convolution, weights HWIO ({@code [kh, kw, in, out]}), then the bias. */
    CONV_2D,
    /**
     * A depthwise convolution, weights {@code [kh, kw, in, multiplier]}: input channel {@code c}'s
     * filters write output channels {@code c * multiplier ...}.
     */
    DEPTHWISE_CONV_2D,
    /** A max over each window's cells inside the input (padded cells are ignored). */
    MAX_POOL,
    /** An average over each window's cells inside the input (divided by their number). */
    AVG_POOL,
    /** Each channel averaged over the whole input; the window is the input's height and width. */
    GLOBAL_AVG_POOL,
    /** A fully connected layer, weights {@code [in, out]}, over its input flattened in HWC order. */
    DENSE,
    /** The input flattened in HWC order (NHWC memory as it is). */
    FLATTEN,
    /** Inverted dropout: the identity at inference. */
    DROPOUT,
    /** The identity, followed by its {@link Operation#activation()}. */
    ACTIVATION,
    /**
     * Per-channel normalization: at inference {@code gamma (x - mean) / sqrt(var + epsilon) +
     * beta}, with the weights as gamma, the bias as beta and the moving mean then variance in the
     * model's state.
     */
    BATCH_NORM,
    /** The elementwise sum of its sources, which have one shape. */
    ADD,
    /** Its sources' channels side by side, in order. */
    CONCAT
  }

  /** The activation functions; softmax is over the last layer's whole (flat) output. */
  public enum Activation {
    NONE,
    RELU,
    /** {@code min(max(0, x), 6)}. */
    RELU6,
    LEAKY_RELU,
    SIGMOID,
    TANH,
    SOFTMAX
  }

  /**
   * A convolution's or pool's window after padding was resolved: TensorFlow's SAME puts the odd
   * row and column at the bottom and right.
   */
  public record Window(
      int kernelHeight,
      int kernelWidth,
      int strideHeight,
      int strideWidth,
      int padTop,
      int padBottom,
      int padLeft,
      int padRight) {}
}
