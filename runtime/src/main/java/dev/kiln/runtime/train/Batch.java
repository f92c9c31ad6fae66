package dev.kiln.runtime.train;

import dev.kiln.runtime.Model;
import java.util.Arrays;

/**
 * One mini-batch, as a network with batch statistics ({@link Model#batchStatistics()}) trains on
 * it: the samples' inputs and targets, a training workspace per sample, a gradient array per
 * thread, and {@link #forEach}, which runs a step of the generated code on every sample in
 * parallel and returns when all are done. Between those steps the generated code reduces the
 * batch statistics with {@link #forEachRange}, each channel on one thread and in sample order, so
 * the result does not depend on the number of threads.
 */
public final class Batch {
  /** One step of the generated code for one sample. */
  @FunctionalInterface
  public interface SampleJob {
    void run(int sample, float[] workspace, float[] gradients);
  }

  private final Workers workers;
  private final Model model;
  private final float[][] workspaces;
  private final float[][] gradients;
  private final float[] targets;
  private final float[] predictions;
  private final float[] losses;
  private final long[] noise;
  private final float[] statistics;
  private float[] inputs;
  private int[] inputOffsets;
  private int count;

  /** A batch of up to {@code capacity} samples; thread t adds its gradients into {@code gradients[t]}. */
  Batch(Model model, Workers workers, int capacity, float[][] gradients) {
    this.model = model;
    this.workers = workers;
    this.workspaces = new float[capacity][model.trainingWorkspaceSize()];
    this.gradients = gradients;
    this.targets = new float[capacity * model.outputSize()];
    this.predictions = new float[capacity * model.outputSize()];
    this.losses = new float[capacity];
    this.noise = new long[capacity];
    this.inputOffsets = new int[capacity];
    this.statistics = new float[model.batchStatisticsSize()];
  }

  /**
   * A batch over {@code inputs} and {@code targets} (one sample after another) run on the calling
   * thread: for a training loop of your own, or a test. Train it with {@code
   * model.trainBatch(batch)}; the summed gradients are then in {@link #gradients()}.
   */
  public static Batch of(Model model, float[] inputs, float[] targets, long[] noise) {
    int n = noise.length;
    if (inputs.length != n * model.inputSize() || targets.length != n * model.outputSize()) {
      throw new IllegalArgumentException(
          model.name() + ": a batch of " + n + " needs " + n * model.inputSize() + " input and "
              + n * model.outputSize() + " target floats, got " + inputs.length + " and "
              + targets.length);
    }
    Batch batch = new Batch(model, new Workers(1), n, new float[1][model.parameterCount()]);
    int[] offsets = new int[n];
    for (int i = 0; i < n; i++) {
      offsets[i] = i * model.inputSize();
    }
    batch.load(inputs, offsets, n);
    System.arraycopy(targets, 0, batch.targets, 0, targets.length);
    System.arraycopy(noise, 0, batch.noise, 0, n);
    return batch;
  }

  /** Points the batch at {@code count} samples of {@code inputs} and clears the gradients. */
  void load(float[] inputs, int[] offsets, int count) {
    this.inputs = inputs;
    System.arraycopy(offsets, 0, inputOffsets, 0, count);
    this.count = count;
    for (float[] g : gradients) {
      Arrays.fill(g, 0f);
    }
  }

  long[] noise() {
    return noise;
  }

  public int count() {
    return count;
  }

  public float[] inputs() {
    return inputs;
  }

  public int inputOffset(int sample) {
    return inputOffsets[sample];
  }

  /** Targets, {@code model.outputSize()} floats per sample, one after another. */
  public float[] targets() {
    return targets;
  }

  public int targetOffset(int sample) {
    return sample * model.outputSize();
  }

  /** Where the generated code leaves each sample's prediction, like the targets. */
  public float[] predictions() {
    return predictions;
  }

  public int predictionOffset(int sample) {
    return sample * model.outputSize();
  }

  /** The seed of a sample's dropout masks. */
  public long noise(int sample) {
    return noise[sample];
  }

  public void setLoss(int sample, float loss) {
    losses[sample] = loss;
  }

  public float loss(int sample) {
    return losses[sample];
  }

  /** The training workspace of one sample. */
  public float[] workspace(int sample) {
    return workspaces[sample];
  }

  /** Scratch for the batch statistics ({@code model.batchStatisticsSize()} floats). */
  public float[] statistics() {
    return statistics;
  }

  /** The first thread's gradients: where code between the parallel steps adds its own. */
  public float[] gradients() {
    return gradients[0];
  }

  /** A share of the work between batch-wide steps: items {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeJob {
    void run(int from, int to);
  }

  /**
   * Splits {@code [0, items)} into one contiguous range per thread (the batch statistics' channels,
   * say), runs {@code job} on each and waits for all.
   */
  public void forEachRange(int items, RangeJob job) {
    int threads = workers.threads();
    workers.run(
        t -> {
          int from = (int) ((long) items * t / threads);
          int to = (int) ((long) items * (t + 1) / threads);
          if (from < to) {
            job.run(from, to);
          }
        });
  }

  /** Runs {@code job} on every sample, each thread on a contiguous share, and waits for all. */
  public void forEach(SampleJob job) {
    int threads = workers.threads();
    workers.run(
        t -> {
          int from = (int) ((long) count * t / threads);
          int to = (int) ((long) count * (t + 1) / threads);
          float[] g = gradients[t];
          for (int i = from; i < to; i++) {
            job.run(i, workspaces[i], g);
          }
        });
  }
}
