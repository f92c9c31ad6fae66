package dev.kiln.runtime;

/**
 * One mini-batch as the generated {@link Model#trainBatch} of a network with batch statistics
 * sees it: the samples' inputs and targets, a training workspace per sample, a gradient array per
 * thread, and {@link #forEach}, which runs a step of the generated code on every sample in
 * parallel and returns when all are done. Between those steps the generated code reduces the
 * batch statistics with {@link #forEachRange}, each channel on one thread and in sample order, so
 * the result does not depend on the number of threads.
 *
 * <p>{@code dev.kiln.runtime.train.Batch} is the implementation ({@code Batch.of} makes one for a
 * training loop of your own); this interface is here so that {@link Model} names no type of the
 * {@code train} package, which depends on this one.
 */
public interface TrainingBatch {
  /** One step of the generated code for one sample. */
  @FunctionalInterface
  interface SampleJob {
    void run(int sample, float[] workspace, float[] gradients);
  }

  /** A share of the work between batch-wide steps: items {@code [from, to)}. */
  @FunctionalInterface
  interface RangeJob {
    void run(int from, int to);
  }

  /** Samples in the batch. */
  int count();

  float[] inputs();

  int inputOffset(int sample);

  /** Targets, {@code model.outputSize()} floats per sample, one after another. */
  float[] targets();

  int targetOffset(int sample);

  /** Where the generated code leaves each sample's prediction, like the targets. */
  float[] predictions();

  int predictionOffset(int sample);

  /** The seed of a sample's dropout masks. */
  long noise(int sample);

  void setLoss(int sample, float loss);

  float loss(int sample);

  /** The training workspace of one sample. */
  float[] workspace(int sample);

  /** Scratch for the batch statistics ({@code model.batchStatisticsSize()} floats). */
  float[] statistics();

  /** The first thread's gradients: where code between the parallel steps adds its own. */
  float[] gradients();

  /**
   * Splits {@code [0, items)} into one contiguous range per thread (the batch statistics' channels,
   * say), runs {@code job} on each and waits for all.
   */
  void forEachRange(int items, RangeJob job);

  /** Runs {@code job} on every sample, each thread on a contiguous share, and waits for all. */
  void forEach(SampleJob job);
}
