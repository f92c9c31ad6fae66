package dev.kiln.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/** Splits work over samples into contiguous chunks run on several threads. */
public final class Batches {
  private Batches() {}

  /** Work on the samples {@code [from, to)}. */
  @FunctionalInterface
  public interface Range {
    void run(int from, int to);
  }

  /**
   * Runs {@code range} over {@code [0, count)} in at most {@code threads} contiguous chunks; the
   * calling thread runs the first chunk itself. Exceptions from any chunk are rethrown.
   */
  public static void forEach(int count, int threads, Range range) {
    int chunks = Math.min(threads, count);
    if (chunks <= 1) {
      range.run(0, count);
      return;
    }
    List<Future<?>> futures = new ArrayList<>(chunks - 1);
    for (int c = 1; c < chunks; c++) {
      int from = (int) ((long) count * c / chunks);
      int to = (int) ((long) count * (c + 1) / chunks);
      futures.add(ForkJoinPool.commonPool().submit(() -> range.run(from, to)));
    }
    range.run(0, (int) ((long) count / chunks));
    for (Future<?> future : futures) {
      try {
        future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a batch chunk", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException runtime) {
          throw runtime;
        }
        if (cause instanceof Error error) {
          throw error;
        }
        throw new IllegalStateException(cause);
      }
    }
  }
}
