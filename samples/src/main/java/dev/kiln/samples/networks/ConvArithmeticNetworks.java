package dev.kiln.samples.networks;

import dev.kiln.annotations.Conv2D;
import dev.kiln.annotations.MaxPool;
import dev.kiln.annotations.Network;
import dev.kiln.annotations.Padding;
import dev.kiln.annotations.Shape;
import dev.kiln.runtime.Layer;

/**
 * The small networks of the lecture's first part: convolution arithmetic and max pooling, which
 * {@code ./kiln seed} runs. Each nested class is a network; Kiln generates {@code <Name>Model} next
 * to it.
 */
final class ConvArithmeticNetworks {
  private ConvArithmeticNetworks() {}

  /** The 3×3 image 1..9 and a 2×2 filter, stride 1, VALID: a 2×2 output. */
  @Network(input = @Shape(height = 3, width = 3, channels = 1))
  abstract static class ConvValid {
    @Conv2D(filters = 1, kernel = 2, bias = false) Layer conv;
  }

  /** The same with SAME padding: TensorFlow pads one row below and one column right. */
  @Network(input = @Shape(height = 3, width = 3, channels = 1))
  abstract static class ConvSame {
    @Conv2D(filters = 1, kernel = 2, padding = Padding.SAME, bias = false) Layer conv;
  }

  /** Three 2×2 filters at once (weights 1, 10 and -1): three output channels. */
  @Network(input = @Shape(height = 3, width = 3, channels = 1))
  abstract static class ThreeFilters {
    @Conv2D(filters = 3, kernel = 2, padding = Padding.SAME, bias = false) Layer conv;
  }

  /** Max pooling 2×2, stride 1, VALID on a 2×2 image. */
  @Network(input = @Shape(height = 2, width = 2, channels = 1))
  abstract static class MaxPoolValid {
    @MaxPool(size = 2, stride = 1) Layer pool;
  }

  /** Max pooling 2×2, stride 1, SAME: windows at the border see only real cells. */
  @Network(input = @Shape(height = 2, width = 2, channels = 1))
  abstract static class MaxPoolSame {
    @MaxPool(size = 2, stride = 1, padding = Padding.SAME) Layer pool;
  }

  /** 7×7 input, 3×3 filter, stride 1: 5×5. */
  @Network(input = @Shape(height = 7, width = 7, channels = 1))
  abstract static class Stride1 {
    @Conv2D(filters = 1, kernel = 3) Layer conv;
  }

  /** 7×7 input, 3×3 filter, stride 2: 3×3. */
  @Network(input = @Shape(height = 7, width = 7, channels = 1))
  abstract static class Stride2 {
    @Conv2D(filters = 1, kernel = 3, stride = 2) Layer conv;
  }

  /** 7×7 input, 3×3 filter, zero padding 1, stride 1: 7×7, the size is kept. */
  @Network(input = @Shape(height = 7, width = 7, channels = 1))
  abstract static class Pad1 {
    @Conv2D(filters = 1, kernel = 3, pad = 1) Layer conv;
  }

  /** A 32×32×3 image and six 5×5×3 filters: 28×28×6. */
  @Network(input = @Shape(height = 32, width = 32, channels = 3))
  abstract static class SixFilters {
    @Conv2D(filters = 6, kernel = 5) Layer conv;
  }
}
