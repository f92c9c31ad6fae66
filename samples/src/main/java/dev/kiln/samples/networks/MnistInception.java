package dev.kiln.samples.networks;

import dev.kiln.annotations.Concat;
import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.Dense;
import dev.kiln.annotations.From;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.ReLU;
import dev.kiln.annotations.Shape;
import dev.kiln.annotations.Softmax;
import dev.kiln.runtime.Layer;

/**
 * A split-and-merge network for MNIST: an inception block whose four branches read the same
 * layer (1×1, 1×1 then 3×3, 1×1 then 5×5, 3×3 max pool then 1×1) and are stacked along the
 * channels, as in GoogLeNet.
 */
@Network(input = @Shape(height = 28, width = 28, channels = 1))
public abstract class MnistInception {
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME) @ReLU
  Layer stem;
  @MaxPool(size = 2)
  Layer pool1;

  // The inception block on 14x14x16: four branches from pool1.
  @Conv2D(filters = 8, kernel = 1) @ReLU
  Layer branch1x1;
  @Conv2D(filters = 8, kernel = 1) @ReLU @From("pool1")
  Layer reduce3x3;
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME) @ReLU
  Layer branch3x3;
  @Conv2D(filters = 4, kernel = 1) @ReLU @From("pool1")
  Layer reduce5x5;
  @Conv2D(filters = 8, kernel = 5, padding = Padding.SAME) @ReLU
  Layer branch5x5;
  @MaxPool(size = 3, stride = 1, padding = Padding.SAME) @From("pool1")
  Layer poolBranch;
  @Conv2D(filters = 8, kernel = 1) @ReLU
  Layer branchPool;
  @Concat @From({"branch1x1", "branch3x3", "branch5x5", "branchPool"})
  Layer inception;

  @MaxPool(size = 2)
  Layer pool2;
  @Dense(units = 10) @Softmax
  Layer output;
}
