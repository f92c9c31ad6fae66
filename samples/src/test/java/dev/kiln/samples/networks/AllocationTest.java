package dev.kiln.samples.networks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Model;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** predict and trainSample allocate nothing once warm: no garbage in the steady state. */
class AllocationTest {

  static long allocatedBytes() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    Assumptions.assumeTrue(
        bean instanceof com.sun.management.ThreadMXBean,
        "this JVM cannot count allocated bytes per thread");
    return ((com.sun.management.ThreadMXBean) bean)
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void lenet5PredictAndTrainSampleAllocateNothing() {
    assertAllocatesNothing(LeNet5Model.create(1));
  }

  /** The lecture's CNN runs the wide kernels (two vectors of channels) LeNet-5 does not. */
  @Test
  void seedCnnPredictAndTrainSampleAllocateNothing() {
    assertAllocatesNothing(Cnn2Model.create(1));
  }

  private static void assertAllocatesNothing(Model net) {
    float[] x = new float[net.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) / 7f;
    }
    float[] y = new float[net.outputSize()];
    float[] target = new float[net.outputSize()];
    target[3] = 1;
    float[] g = new float[net.parameterCount()];
    float[] ws = new float[net.trainingWorkspaceSize()];
    // Warm up (class loading, thread-local workspace and scratch), then measure rounds of 1,000
    // calls until one allocates nothing: the JIT compiles in the background, and until it has
    // compiled the vectorized kernels (on JDK 21+), the interpreter boxes their vectors. A kernel
    // that C1 gives up on and C2 cannot intrinsify allocates for good, and fails here.
    for (int i = 0; i < 2000; i++) {
      net.predict(x, y);
      net.trainSample(x, 0, target, 0, y, 0, g, ws, i);
    }
    long allocated = Long.MAX_VALUE;
    for (int round = 0; round < 30 && allocated >= 1_024; round++) {
      long before = allocatedBytes();
      for (int i = 0; i < 1000; i++) {
        net.predict(x, y);
        net.trainSample(x, 0, target, 0, y, 0, g, ws, i);
      }
      allocated = allocatedBytes() - before;
    }
    // Even 8 bytes a call would be 16,000 here; allow a little for the measurement itself.
    assertTrue(
        allocated < 1_024,
        allocated + " bytes allocated by 1,000 predict and trainSample calls of " + net.name());
  }
}
