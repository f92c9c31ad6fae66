package dev.kiln.onnx;

import dev.kiln.annotations.Add;
import dev.kiln.annotations.AvgPool;
import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Concat;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.DepthwiseConv2D;
import dev.kiln.annotations.Dropout;
import dev.kiln.annotations.Flatten;
import dev.kiln.annotations.From;
import dev.kiln.annotations.GlobalAvgPool;
import dev.kiln.annotations.LeakyReLU;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.ReLU6;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Sigmoid;
import dev.kiln.annotations.Softmax;
import dev.kiln.annotations.Tanh;
import dev.kiln.runtime.Layer;

/** Small networks of every layer kind, which the tests export and run on ONNX Runtime. */
final class TestNetworks {
  private TestNetworks() {}

  /** LeNet-5 as the samples and the README declare it. */
  @Network(input = @Shape(height = 28, width = 28, channels = 1))
  abstract static class OnnxLeNet5 {
    @Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c1;
    @MaxPool(size = 2, stride = 2) Layer s2;
    @Conv2D(filters = 16, kernel = 5) @ReLU Layer c3;
    @MaxPool(size = 2, stride = 2) Layer s4;
    @Dense(units = 120) @ReLU Layer c5;
    @Dense(units = 84) @ReLU Layer f6;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** The lecture's two-convolution CNN (the ladder's rung 5): SAME max pools on odd sizes. */
  @Network(input = @Shape(height = 28, width = 28))
  abstract static class OnnxCnn2 {
    @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p1;
    @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer c2;
    @MaxPool(size = 2, padding = Padding.SAME) Layer p2;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** A residual network: BatchNorm, a strided block with a 1x1 projection, global pooling. */
  @Network(input = @Shape(height = 11, width = 11, channels = 3))
  abstract static class OnnxResidual {
    @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, bias = false) Layer stem;
    @BatchNorm @ReLU Layer stemNorm;
    @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, bias = false) Layer block1a;
    @BatchNorm(epsilon = 0.01) @ReLU Layer block1aNorm;
    @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, bias = false) Layer block1b;
    @BatchNorm Layer block1bNorm;
    @Add @From({"block1bNorm", "stemNorm"}) @ReLU Layer block1;
    @Conv2D(filters = 16, kernel = 3, stride = 2, padding = Padding.SAME, bias = false) Layer block2a;
    @BatchNorm @ReLU Layer block2aNorm;
    @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, bias = false) Layer block2b;
    @BatchNorm Layer block2bNorm;
    @Conv2D(filters = 16, kernel = 1, stride = 2, bias = false) @From("block1") Layer projection;
    @BatchNorm Layer projectionNorm;
    @Add @From({"block2bNorm", "projectionNorm"}) @ReLU Layer block2;
    @GlobalAvgPool Layer pool;
    @Dense(units = 10) @Softmax Layer output;
  }

  /** An inception block: four branches side by side, one of them from the input itself. */
  @Network(input = @Shape(height = 9, width = 9, channels = 2))
  abstract static class OnnxInception {
    @Conv2D(filters = 4, kernel = 1) @ReLU Layer stem;
    @Conv2D(filters = 3, kernel = 1) @ReLU Layer branch1;
    @Conv2D(filters = 5, kernel = 3, padding = Padding.SAME) @ReLU @From("stem") Layer branch3;
    @Conv2D(filters = 2, kernel = 5, pad = 2) @ReLU @From("stem") Layer branch5;
    @AvgPool(size = 3, stride = 1, padding = Padding.SAME) @From("stem") Layer branchPool;
    @Conv2D(filters = 3, kernel = 1) Layer branchPoolProjection;
    @Concat @From({"branch1", "branch3", "branch5", "branchPoolProjection", From.INPUT}) Layer merged;
    @MaxPool(size = 3, stride = 2) Layer pool;
    @Dense(units = 7) @Softmax Layer output;
  }

  /** Depthwise convolutions: a multiplier, strides, SAME and explicit padding, BatchNorm. */
  @Network(input = @Shape(height = 10, width = 9, channels = 3))
  abstract static class OnnxDepthwise {
    @DepthwiseConv2D(kernel = 3, depthMultiplier = 2, stride = 2, padding = Padding.SAME) @ReLU Layer dw1;
    @Conv2D(filters = 8, kernel = 1, bias = false) Layer pw1;
    @BatchNorm @ReLU Layer pw1Norm;
    @DepthwiseConv2D(kernel = {3, 2}, pad = {1, 0}, bias = false) Layer dw2;
    @BatchNorm @ReLU Layer dw2Norm;
    @Conv2D(filters = 6, kernel = 1) @ReLU Layer pw2;
    @GlobalAvgPool Layer pool;
    @Dense(units = 5) @Softmax Layer output;
  }

  /** Every activation, fused and on fields of their own, an explicit flatten and dropout. */
  @Network(input = @Shape(height = 8, width = 8, channels = 2))
  abstract static class OnnxActivations {
    @Conv2D(filters = 4, kernel = 3) @LeakyReLU(alpha = 0.1) Layer c1;
    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) Layer c2;
    @Sigmoid Layer c2Sigmoid;
    @Conv2D(filters = 3, kernel = 2, stride = 2) @Tanh Layer c3;
    @Dropout(rate = 0.5) Layer drop;
    @Flatten Layer flat;
    @Dense(units = 12) @ReLU6 Layer d1;
    @Dense(units = 10) Layer d2;
    @LeakyReLU Layer d2Leaky;
    @Dense(units = 8) @Tanh Layer d3;
    @Dense(units = 6) @Sigmoid Layer output;
  }

  /**
   * Windows of every kind: explicit and asymmetric SAME padding, uneven kernels and strides, VALID
   * strides that leave rows unread, pools with SAME padding; it ends in a spatial layer, so its
   * output is NHWC like its input.
   */
  @Network(input = @Shape(height = 13, width = 10, channels = 3))
  abstract static class OnnxWindows {
    @Conv2D(filters = 4, kernel = {3, 5}, stride = {2, 1}, pad = {1, 2}) @ReLU Layer c1;
    @Conv2D(filters = 5, kernel = 4, stride = 2, padding = Padding.SAME) Layer c2;
    @AvgPool(size = 3, stride = 2, padding = Padding.SAME) Layer a1;
    @Conv2D(filters = 3, kernel = 2, stride = 3) @From("c1") Layer c3;
    @MaxPool(size = {2, 3}, stride = 1, padding = Padding.SAME) Layer m1;
    @AvgPool(size = 2, stride = 1, padding = Padding.SAME) Layer a2;
    @Concat @From({"a1", "a2"}) @ReLU Layer merged;
  }

  /** Dense layers only, on a 1x1 input (as the XOR networks have). */
  @Network(input = @Shape(height = 1, width = 1, channels = 4))
  abstract static class OnnxDenseOnly {
    @Dense(units = 6) @Tanh Layer hidden;
    @Dense(units = 3, bias = false) @Softmax Layer output;
  }
}
