package dev.kiln.benchmarks;

import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * Issue 6's two workloads, declared here so that the benchmarks (same package) can call the
 * generated package-private per-layer methods. Kiln generates {@code LeNet5Model} and {@code
 * SeedCnnModel}.
 */
final class Networks {
  private Networks() {}

  /** LENET: LeNet-5 for 28×28 MNIST, the first convolution SAME (as in the samples). */
  @Network(input = @Shape(height = 28, width = 28, channels = 1))
  abstract static class LeNet5 {
    @Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU  Layer c1;
    @MaxPool(size = 2, stride = 2)                                   Layer s2;
    @Conv2D(filters = 16, kernel = 5) @ReLU                          Layer c3;
    @MaxPool(size = 2, stride = 2)                                   Layer s4;
    @Dense(units = 120) @ReLU                                        Layer c5;
    @Dense(units = 84) @ReLU                                         Layer f6;
    @Dense(units = 10) @Softmax                                      Layer output;
  }

  /** SEEDCNN: the lecture's TensorFlow CNN. */
  @Network(input = @Shape(height = 28, width = 28, channels = 1))
  abstract static class SeedCnn {
    @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;
    @MaxPool(size = 2, stride = 2)                                  Layer p1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer c2;
    @MaxPool(size = 2, stride = 2)                                  Layer p2;
    @Dense(units = 10) @Softmax                                     Layer output;
  }
}
