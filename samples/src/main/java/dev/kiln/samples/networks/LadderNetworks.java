package dev.kiln.samples.networks;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.Dropout;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * The lecture's MNIST accuracy ladder, rung by rung, as in its TensorFlow labs (Adam, 15 epochs,
 * batch 100). The last rung, the ensemble, averages several {@link Cnn3}.
 */
final class LadderNetworks {
  private LadderNetworks() {}

  /** Rung 1: softmax regression, 784 -> 10 (lecture: 90.35%). */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class SoftmaxRegression {
    @Dense(units = 10) @Softmax Layer output;
  }

  /**
   * Rung 2: three layers of ReLU, weights and biases initialized N(0, 1) as the lab's
   * tf.random_normal (lecture: 94.55%).
   */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class ReluNormalInit {
    @Dense(units = 256, init = Init.STANDARD_NORMAL, biasInit = BiasInit.STANDARD_NORMAL) @ReLU
    Layer h1;

    @Dense(units = 256, init = Init.STANDARD_NORMAL, biasInit = BiasInit.STANDARD_NORMAL) @ReLU
    Layer h2;

    @Dense(units = 10, init = Init.STANDARD_NORMAL, biasInit = BiasInit.STANDARD_NORMAL) @Softmax
    Layer output;
  }

  /** Rung 3: the same with Xavier (Glorot) initialization (lecture: 97.83%). */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class ReluXavier {
    @Dense(units = 256) @ReLU Layer h1;
    @Dense(units = 256) @ReLU Layer h2;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** Rung 4: five layers, 512 wide, dropout (keep 0.7) after each hidden layer (lecture: 98.04%). */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class DeepDropout {
    @Dense(units = 512) @ReLU Layer h1;
    @Dropout(rate = 0.3) Layer d1;
    @Dense(units = 512) @ReLU Layer h2;
    @Dropout(rate = 0.3) Layer d2;
    @Dense(units = 512) @ReLU Layer h3;
    @Dropout(rate = 0.3) Layer d3;
    @Dense(units = 512) @ReLU Layer h4;
    @Dropout(rate = 0.3) Layer d4;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** Rung 5: two convolutions (lecture: 98.85%, "99%"). */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class Cnn2 {
    @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer c2;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p2;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** Rung 6: three convolutions with dropout and a 625-unit dense layer (lecture: 99.38%). */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class Cnn3 {
    @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p1;
    @Dropout(rate = 0.3) Layer d1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer c2;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p2;
    @Dropout(rate = 0.3) Layer d2;
    @Conv2D(filters = 128, kernel = 3, padding = Padding.SAME) @ReLU Layer c3;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p3;
    @Dropout(rate = 0.3) Layer d3;
    @Dense(units = 625) @ReLU Layer f4;
    @Dropout(rate = 0.5) Layer d4;
    @Dense(units = 10) @Softmax Layer output;
  }
}
