package dev.kiln.processor.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.kernels.Kernels;
import org.junit.jupiter.api.Test;

/** What the processor generates must agree with the runtime kernels it calls. */
class ConvKernelCallsTest {
  /**
   * The processor sizes the widened weights and the scratch with its own copy of the planar
   * width rule (it does not depend on the runtime); the runtime kernels lay them out by theirs.
   */
  @Test
  void planarWidthIsTheRuntimesRule() {
    for (int n = 1; n <= 12; n++) {
      for (int rows = 1; rows <= 4; rows++) {
        assertEquals(
            Kernels.planarWidth(n, rows), ConvKernelCalls.planarWidth(n, rows),
            n + " channels over " + rows + " rows");
      }
    }
  }

  /** The processor sizes the planar kernel gradient's scratch by the runtime's rule. */
  @Test
  void planarGradientScratchIsTheRuntimes() {
    for (int channels = 1; channels <= 3; channels++) {
      for (int k = 1; k <= 5; k += 2) {
        for (int n = 1; n <= 8; n++) {
          for (int cols = 1; cols <= 40; cols += 3) {
            assertEquals(
                Kernels.weightGradientPlanarScratch(channels, k, k + 1, n, cols + 1, cols),
                ConvKernelCalls.planarGradientScratch(channels, k, k + 1, n, cols + 1, cols),
                channels + " channels, kernel " + k + ", " + n + " filters, " + cols + " columns");
          }
        }
      }
    }
  }
}
