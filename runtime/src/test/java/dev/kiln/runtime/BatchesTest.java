package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class BatchesTest {
  /** Every sample is run exactly once, in ranges inside [0, count), whatever the thread count. */
  @Test
  void everySampleRunsOnce() {
    for (int threads : new int[] {1, 2, 3, 8}) {
      for (int count : new int[] {0, 1, 2, 15, 16, 17, 256, 1000}) {
        AtomicIntegerArray runs = new AtomicIntegerArray(count);
        Batches.forEach(count, threads, (from, to) -> {
          assertTrue(0 <= from && from < to && to <= count, from + ".." + to + " of " + count);
          for (int i = from; i < to; i++) {
            runs.incrementAndGet(i);
          }
        });
        for (int i = 0; i < count; i++) {
          assertEquals(1, runs.get(i), "sample " + i + " of " + count + " on " + threads + " threads");
        }
      }
    }
  }

  @Test
  void aFailingBlockIsRethrown() {
    IllegalStateException failure = new IllegalStateException("block failed");
    IllegalStateException thrown =
        assertThrows(IllegalStateException.class, () -> Batches.forEach(256, 2, (from, to) -> {
          if (from <= 200 && 200 < to) {
            throw failure;
          }
        }));
    // From a helper thread, the fork-join pool rethrows a copy of the same type caused by it.
    assertTrue(thrown == failure || thrown.getCause() == failure, thrown.toString());
  }
}
