package dev.kiln.runtime.train;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.TrainingBatch;
import java.util.Arrays;

/**
 * One mini-batch, as a network with batch statistics ({@link Model#batchStatistics()}) trains on
 * it: the {@link TrainingBatch} that {@link Model#trainBatch} takes, its steps run on the
 * trainer's threads.
 */
public final class Batch implements TrainingBatch {
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

  @Override
  public int count() {
    return count;
  }

  @Override
  public float[] inputs() {
    return inputs;
  }

  @Override
  public int inputOffset(int sample) {
    return inputOffsets[sample];
  }

  @Override
  public float[] targets() {
    return targets;
  }

  @Override
  public int targetOffset(int sample) {
    return sample * model.outputSize();
  }

  @Override
  public float[] predictions() {
    return predictions;
  }

  @Override
  public int predictionOffset(int sample) {
    return sample * model.outputSize();
  }

  @Override
  public long noise(int sample) {
    return noise[sample];
  }

  @Override
  public void setLoss(int sample, float loss) {
    losses[sample] = loss;
  }

  @Override
  public float loss(int sample) {
    return losses[sample];
  }

  @Override
  public float[] workspace(int sample) {
    return workspaces[sample];
  }

  @Override
  public float[] statistics() {
    return statistics;
  }

  @Override
  public float[] gradients() {
    return gradients[0];
  }

  @Override
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

  @Override
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
