package dev.kiln.runtime;

import dev.kiln.runtime.kernels.Helpers;
import dev.kiln.runtime.kernels.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Splits work over samples into blocks of contiguous samples run on several threads. */
public final class Batches {
  private Batches() {}

  /** Work on the samples {@code [from, to)}. */
  @FunctionalInterface
  public interface Range {
    void run(int from, int to);
  }

  /**
   * Runs {@code range} over {@code [0, count)} on up to {@code threads} threads (the calling
   * thread is one of them), in blocks of up to 16 samples that each thread takes in turn until
   * none are left; every sample is in exactly one block. Taking blocks rather than one fixed
   * share each lets a thread that starts late (the helper waits to be woken) or loses its core to
   * the host for a while leave its samples to the others. With fixed halves, batches of 256
   * LeNet-5 images ran at about 80,000 images/s on two threads where two plain loops of {@code
   * predict} ran 110,000 to 130,000; with blocks, the same harness gave 94,000 to 133,000, but
   * side by side in one JVM the two differed by less than the machine's noise. The helpers are
   * Kiln's {@link Helpers}, which stay awake for a while between batches. The first
   * exception from any block stops the handing out of blocks and is rethrown once every thread
   * has stopped.
   */
  public static void forEach(int count, int threads, Range range) {
    int workers = Math.min(threads, count);
    forEach(count, threads, Math.max(1, Math.min(16, count / (Math.max(1, workers) * 8))), range);
  }

  /**
   * A cap on the tiles of every model's {@code predictBatch}, from the system property {@code
   * kiln.maxTile} (no cap by default): a tile's samples each keep a workspace, so a large network
   * (ResNet-18: 4 MB a sample) may want fewer; 1 runs sample by sample.
   */
  static final int MAX_TILE = Math.max(1, Integer.getInteger("kiln.maxTile", Integer.MAX_VALUE));

  /**
   * Samples per tile for {@code count} samples on {@code threads} threads with tiles of at most
   * {@code most}: the fewest tiles that come in a multiple of the threads, as even as they can be
   * (16 samples on 2 threads with tiles of up to 6 make 4 tiles of 4, not 6, 6 and 4 that leave
   * one thread a third of the work).
   */
  public static int tile(int count, int threads, int most) {
    most = Math.max(1, Math.min(most, MAX_TILE));
    if (count <= 0) {
      return Math.max(1, most);
    }
    int workers = Math.max(1, Math.min(threads, count));
    int tiles = (count + most - 1) / most;
    tiles = (tiles + workers - 1) / workers * workers;
    return Math.max(1, (count + tiles - 1) / tiles);
  }

  /**
   * {@link #forEach(int, int, Range)} in blocks of exactly {@code block} samples (the last one
   * shorter): for generated code that runs tiles of that many samples ({@code predictBatch}).
   * Each thread holds the weights ({@link Kernels#holdWeights}) over all the blocks it takes, so
   * the kernels check what they keep against the weights once per thread and call, not once per
   * tile: ResNet-18's 11 million weights, read twice per check, took a check per tile of 4.
   */
  public static void forEach(int count, int threads, int block, Range range) {
    if (block < 1) {
      throw new IllegalArgumentException("block must be at least 1, got " + block);
    }
    int workers = Math.min(threads, (count + block - 1) / block);
    if (count <= 0) {
      return;
    }
    if (workers <= 1) {
      Kernels.holdWeights(true);
      try {
        range.run(0, count);
      } finally {
        Kernels.holdWeights(false);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable take =
        () -> {
          Kernels.holdWeights(true);
          try {
            // from >= 0: the counter may pass Integer.MAX_VALUE once the blocks have run out.
            for (int from = next.getAndAdd(block); from >= 0 && from < count; from = next.getAndAdd(block)) {
              range.run(from, Math.min(count, from + block));
            }
          } catch (RuntimeException | Error e) {
            next.set(count); // the others take no more blocks
            throw e;
          } finally {
            Kernels.holdWeights(false);
          }
        };
    List<Helpers.Helper> helpers = new ArrayList<>(workers - 1);
    for (int w = 1; w < workers; w++) {
      Helpers.Helper helper = Helpers.offer(take);
      if (helper == null) {
        break; // every helper is busy (another caller's, or this one nested): take the rest here
      }
      helpers.add(helper);
    }
    // Every helper is waited for, even after a failure: none may still write when this returns.
    Throwable failure = null;
    try {
      take.run();
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    for (Helpers.Helper helper : helpers) {
      Throwable t = helper.await();
      failure = failure == null ? t : failure;
    }
    Helpers.rethrow(failure);
  }
}
