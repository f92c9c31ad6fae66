package dev.kiln.samples.networks;

import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.DepthwiseConv2D;
import dev.kiln.annotations.GlobalAvgPool;
import dev.kiln.annotations.Init;
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
 * before it. Its BatchNorms average their statistics with momentum 0.9, so that a short run
 * (an epoch of a few thousand images) already predicts with its own.
 */
@Network(input = @Shape(height = 28, width = 28, channels = 1))
public abstract class MnistMobileNet {
  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer stem;
  @BatchNorm(momentum = 0.9) @ReLU
  Layer stemNorm;

  // Block 1: 28x28x32 -> 14x14x64.
  @DepthwiseConv2D(kernel = 3, stride = 2, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer depthwise1;
  @BatchNorm(momentum = 0.9) @ReLU
  Layer depthwise1Norm;
  @Conv2D(filters = 64, kernel = 1, bias = false, init = Init.HE_NORMAL)
  Layer pointwise1;
  @BatchNorm(momentum = 0.9) @ReLU
  Layer pointwise1Norm;

  // Block 2: 14x14x64 -> 7x7x128.
  @DepthwiseConv2D(kernel = 3, stride = 2, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer depthwise2;
  @BatchNorm(momentum = 0.9) @ReLU
  Layer depthwise2Norm;
  @Conv2D(filters = 128, kernel = 1, bias = false, init = Init.HE_NORMAL)
  Layer pointwise2;
  @BatchNorm(momentum = 0.9) @ReLU
  Layer pointwise2Norm;

  @GlobalAvgPool
  Layer pool;
  @Dense(units = 10) @Softmax
  Layer output;
}
