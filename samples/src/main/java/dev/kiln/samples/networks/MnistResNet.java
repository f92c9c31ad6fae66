package dev.kiln.samples.networks;

import dev.kiln.annotations.Add;
import dev.kiln.annotations.BatchNorm;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.From;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * A small ResNet for MNIST: two residual blocks, each two 3×3 convolutions with batch
 * normalization whose output is added to the block's input (the lecture's "fast forward"
 * connection), the second with a 1×1 projection where the block doubles the channels. The
 * convolutions have no bias: the BatchNorm after each one shifts it anyway.
 */
@Network(input = @Shape(height = 28, width = 28, channels = 1))
public abstract class MnistResNet {
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer stem;
  @BatchNorm @ReLU
  Layer stemNorm;

  // Block 1, 28x28x16: stemNorm + F(stemNorm).
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer block1a;
  @BatchNorm @ReLU
  Layer block1aNorm;
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer block1b;
  @BatchNorm
  Layer block1bNorm;
  @Add @From({"block1bNorm", "stemNorm"}) @ReLU
  Layer block1;
  @MaxPool(size = 2)
  Layer pool1;

  // Block 2, 14x14x32: F(pool1) plus a 1x1 projection of pool1 to 32 channels.
  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer block2a;
  @BatchNorm @ReLU
  Layer block2aNorm;
  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, bias = false, init = Init.HE_NORMAL)
  Layer block2b;
  @BatchNorm
  Layer block2bNorm;
  @Conv2D(filters = 32, kernel = 1, bias = false) @From("pool1")
  Layer shortcut2;
  @BatchNorm
  Layer shortcut2Norm;
  @Add @From({"block2bNorm", "shortcut2Norm"}) @ReLU
  Layer block2;
  @MaxPool(size = 2)
  Layer pool2;

  @Dense(units = 10) @Softmax
  Layer output;
}
