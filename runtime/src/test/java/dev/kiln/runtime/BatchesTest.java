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
    // The same exception, whichever thread ran the block.
    assertTrue(thrown == failure, thrown.toString());
  }

  /**
   * Callers that run at once, and a block that runs a batch of its own (nested), each cover
   * every sample once: a caller whose helpers are busy takes every block itself.
   */
  @Test
  void concurrentAndNestedCallersCoverEverySampleOnce() throws Exception {
    int callers = 4;
    int[][] seen = new int[callers][300];
    Thread[] threads = new Thread[callers];
    Throwable[] failures = new Throwable[callers];
    for (int c = 0; c < callers; c++) {
      int caller = c;
      threads[c] = new Thread(() -> {
        try {
          for (int round = 0; round < 50; round++) {
            Batches.forEach(300, 2, 16, (from, to) -> {
              Batches.forEach(to - from, 2, 4, (f, t) -> {
                for (int i = from + f; i < from + t; i++) {
                  seen[caller][i]++;
                }
              });
            });
          }
        } catch (Throwable t) {
          failures[caller] = t;
        }
      });
      threads[c].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    for (int c = 0; c < callers; c++) {
      assertTrue(failures[c] == null, String.valueOf(failures[c]));
      for (int i = 0; i < 300; i++) {
        assertTrue(seen[c][i] == 50, "caller " + c + ", sample " + i + ": " + seen[c][i]);
      }
    }
  }
}
