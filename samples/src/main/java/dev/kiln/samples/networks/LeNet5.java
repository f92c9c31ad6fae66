package dev.kiln.samples.networks;

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
 * LeNet-5 for 28×28 MNIST digits, as in the lecture: the first convolution uses SAME padding so
 * that C1 keeps 28×28 (LeCun's original padded the 28×28 digits to 32×32 instead).
 */
@Network(input = @Shape(height = 28, width = 28, channels = 1))
public abstract class LeNet5 {
  @Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU  Layer c1;
  @MaxPool(size = 2, stride = 2)                                   Layer s2;
  @Conv2D(filters = 16, kernel = 5) @ReLU                          Layer c3;
  @MaxPool(size = 2, stride = 2)                                   Layer s4;
  @Dense(units = 120) @ReLU                                        Layer c5;
  @Dense(units = 84) @ReLU                                         Layer f6;
  @Dense(units = 10) @Softmax                                      Layer output;
}
