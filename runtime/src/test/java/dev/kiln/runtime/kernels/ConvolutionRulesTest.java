package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The convolution kernel rule, as the kernels apply it and as the generated comments state it. */
class ConvolutionRulesTest {
  @Test
  void wideLayersWithLargeWindowsArePackedProducts() {
    assertTrue(ConvolutionRules.packs(196, 256, 2304, 8), "ResNet-18's third stage");
    assertFalse(ConvolutionRules.packs(784, 32, 9, 8), "SEEDCNN's c1: nine values per window");
    assertFalse(ConvolutionRules.packs(100, 16, 150, 8), "LeNet-5's c3: two vectors of filters");
    assertFalse(ConvolutionRules.packs(4, 64, 576, 8), "fewer pixels than a register block");
    assertTrue(ConvolutionRules.packs(196, 32, 288, 8));
    assertFalse(ConvolutionRules.packs(196, 32, 288, 16), "two vectors of 16 lanes");
    if (Kernels.VECTORIZED) {
      // The vector path decides by the same rule with its own width.
      assertEquals(ConvolutionRules.packs(196, 32, 288, Vectors.L), VectorConvolution.packs(196, 32, 288));
      assertEquals(ConvolutionRules.BLOCK_ROWS, VectorGemm.MR);
    }
  }

  @Test
  void theCommentSaysWhichKernelAndWhy() {
    assertEquals(
        "784 pixels, 32 filters, 9 values per window: direct register blocks (fewer than 16 values"
            + " per window do not repay packing)",
        ConvolutionRules.describe(784, 32, 9));
    assertEquals(
        "196 pixels, 256 filters, 2304 values per window: a packed matrix product (pixels by window"
            + " values, times filters)",
        ConvolutionRules.describe(196, 256, 2304));
    assertEquals(
        "196 pixels, 32 filters, 288 values per window: a packed matrix product (pixels by window"
            + " values, times filters) with vectors of 8 floats (AVX2), direct register blocks (fewer"
            + " than four vectors of 16 filters do not repay packing) with 16 (AVX-512)",
        ConvolutionRules.describe(196, 32, 288));
  }
}
