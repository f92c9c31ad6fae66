package dev.kiln.benchmarks;

import dev.kiln.runtime.Model;

/**
 * A network's generated per-layer methods, reached by the layer's index in {@code
 * model.layers()}. The calls into the generated code sit in one class per network ({@link
 * LeNet5Calls}, {@link SeedCnnCalls}): when the generated signatures change, adapt those two.
 * Every buffer starts at offset 0.
 */
interface NetworkCalls {
  /** A fresh model (Glorot-uniform weights from {@code seed}, zero biases). */
  Model create(long seed);

  /** The layer's inference forward pass: {@code x} in, {@code y} out. */
  void forward(int layer, float[] p, float[] x, float[] y);

  /**
   * The layer's backward pass: from its input {@code x}, output {@code y} and output gradient
   * {@code d}, adds the parameter gradients into {@code g} and writes the input gradient to
   * {@code dx} (the first layer writes none).
   */
  void backward(int layer, float[] p, float[] x, float[] y, float[] d, float[] dx, float[] g);

  /** The calls of the workload named {@code LENET} or {@code SEEDCNN}. */
  static NetworkCalls of(String workload) {
    return switch (workload) {
      case "LENET" -> new LeNet5Calls();
      case "SEEDCNN" -> new SeedCnnCalls();
      default -> throw new IllegalArgumentException("no workload " + workload + "; LENET or SEEDCNN");
    };
  }
}
