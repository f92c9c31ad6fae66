package dev.kiln.runtime.train;

import dev.kiln.runtime.Model;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * What every trainer of a Kiln model must do alike, so that a seed shuffles, drops out and
 * refuses data the same way on the CPU and on an OpenCL device: each epoch's sample order, the
 * per-sample noise seeds, and the checks of a data set against the model.
 */
public final class Sampling {
  private Sampling() {}

  /** Fills {@code order} with {@code 0..length-1} in the epoch's random order for {@code seed}. */
  public static void shuffle(int[] order, long seed, int epoch) {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(mix(seed, epoch, -1));
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  /** A well-mixed 64-bit seed from the run's seed, the epoch and a position (dropout noise). */
  /**
   * Batches per epoch of {@code samples}: the last may be smaller, but for a network with batch
   * statistics a last batch of one sample is left out, since BatchNorm would normalize that sample
   * by itself (and learn nothing from it); PyTorch refuses such a batch.
   */
  public static int batches(int samples, int batchSize, Model model) {
    int batches = (samples + batchSize - 1) / batchSize;
    if (model.batchStatistics() && batches > 1 && samples % batchSize == 1) {
      batches--;
    }
    return batches;
  }

  public static long mix(long seed, long epoch, long position) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + position * 0x165667B19E3779F9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Refuses empty data and samples or targets whose sizes do not fit {@code model}. */
  public static void check(Dataset data, Model model, String what) {
    Objects.requireNonNull(data, what + " data");
    if (data.size() == 0) {
      throw new IllegalArgumentException("the " + what + " data is empty");
    }
    if (data.inputSize() != model.inputSize()) {
      throw new IllegalArgumentException(
          "the " + what + " samples have " + data.inputSize() + " floats, but " + model.name()
              + " takes " + model.inputSize() + " (" + model.inputShape() + ")");
    }
    if (data.targetSize() != model.outputSize()) {
      throw new IllegalArgumentException(
          "the " + what + " data has " + data.targetSize()
              + (data.labeled() ? " classes" : " targets per sample") + ", but " + model.name()
              + " has " + model.outputSize() + " outputs");
    }
  }
}
