package dev.kiln.opencl;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts the OpenCL objects Kiln holds (contexts, queues, programs, kernels, buffers). */
final class Handles {
  static final AtomicInteger LIVE = new AtomicInteger();

  private Handles() {}

  static <T> T created(T handle) {
    LIVE.incrementAndGet();
    return handle;
  }

  static void released() {
    LIVE.decrementAndGet();
  }
}
