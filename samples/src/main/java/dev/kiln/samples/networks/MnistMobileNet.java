package dev.kiln.samples.networks;

import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.DepthwiseConv2D;
import dev.kiln.annotations.GlobalAvgPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * A MobileNet for MNIST: after a plain 3×3 stem, two depthwise separable blocks, each a 3×3
 * depthwise convolution of stride 2 (every channel filtered on its own, 9 multiply-adds per output
 * value) and a 1×1 convolution that mixes the channels, both followed by batch normalization and
 * ReLU, as in MobileNet v1. A separable block costs about an eighth of the multiply-adds of a 3×3
 * convolution with the same channels. Batch inference folds each BatchNorm into the convolution
 * before it.
 */
@Network(input = @Shape(height = 28, width = 28, channels = 1))
public abstract class MnistMobileNet {
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, bias = false)
  Layer stem;
  @BatchNorm @ReLU
  Layer stemNorm;

  // Block 1: 28x28x16 -> 14x14x32.
  @DepthwiseConv2D(kernel = 3, stride = 2, padding = Padding.SAME, bias = false)
  Layer depthwise1;
  @BatchNorm @ReLU
  Layer depthwise1Norm;
  @Conv2D(filters = 32, kernel = 1, bias = false)
  Layer pointwise1;
  @BatchNorm @ReLU
  Layer pointwise1Norm;

  // Block 2: 14x14x32 -> 7x7x64.
  @DepthwiseConv2D(kernel = 3, stride = 2, padding = Padding.SAME, bias = false)
  Layer depthwise2;
  @BatchNorm @ReLU
  Layer depthwise2Norm;
  @Conv2D(filters = 64, kernel = 1, bias = false)
  Layer pointwise2;
  @BatchNorm @ReLU
  Layer pointwise2Norm;

  @GlobalAvgPool
  Layer pool;
  @Dense(units = 10) @Softmax
  Layer output;
}
