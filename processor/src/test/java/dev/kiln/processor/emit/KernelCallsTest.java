package dev.kiln.processor.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.kernels.Kernels;
import org.junit.jupiter.api.Test;

/** What the processor generates must agree with the runtime kernels it calls. */
class KernelCallsTest {
  /**
   * The processor sizes the widened weights and the scratch with its own copy of the planar
   * width rule (it does not depend on the runtime); the runtime kernels lay them out by theirs.
   */
  @Test
  void planarWidthIsTheRuntimesRule() {
    for (int n = 1; n <= 12; n++) {
      for (int rows = 1; rows <= 4; rows++) {
        for (int cols = 1; cols <= 40; cols++) {
          assertEquals(
              Kernels.planarWidth(n, rows, cols), KernelCalls.planarWidth(n, rows, cols),
              n + " channels over " + rows + "x" + cols);
        }
      }
    }
  }
}
