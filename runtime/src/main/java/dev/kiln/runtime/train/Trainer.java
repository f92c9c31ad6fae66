package dev.kiln.runtime.train;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.kernels.Kernels;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mini-batch training of a generated model on the CPU.
 *
 * <pre>{@code
 * List<EpochResult> history =
 *     Trainer.of(net).optimizer(Adam.lr(1e-3)).batchSize(64).epochs(5).fit(train, test);
 * }</pre>
 *
 * <p>Each epoch visits the training set in a fresh random order. The samples of a batch are split
 * into slots of contiguous samples, which the threads take in turn; each slot adds its gradients
 * into its own array, and the arrays are summed in slot order, so the same seed and slot count
 * give bit-identical weights, and a thread that falls behind (the host takes its core for a
 * while) leaves its slots to the others. A model of up to {@value #SLOT_PARAMETERS} parameters
 * trained on up to {@value #SLOTS} threads gets {@value #SLOTS} slots (fewer for smaller batches),
 * so its weights do not depend on the thread count either; a larger model, more threads, or a
 * network with batch statistics gets one slot per thread (summing eight arrays of a large model
 * after every batch would cost more than it saves). Dropout masks depend only on the seed, the
 * epoch and the sample's position. Nothing is
 * allocated per sample, and per batch only the few dozen bytes of the threads' hand-off (a
 * {@code CyclicBarrier} generation); nothing is kept, so the heap does not grow however long it
 * trains.
 *
 * <p>The data is checked before anything changes: empty data, samples of the wrong size, class
 * counts or target sizes that do not match the model's outputs, and (by {@link Dataset}) NaN or
 * infinite values are refused with an exception saying what was expected. If the loss or a
 * gradient still turns NaN or infinite (a learning rate too high), {@code fit} stops with a
 * {@link TrainingDivergedException} naming the first layer whose gradient is not finite, before
 * that step touches the parameters.
 *
 * <p>Other threads may {@code predict} on the model while it trains; what they see is described
 * on {@link Model}. Run one {@code fit} per model at a time: two would write the same parameters.
 */
public final class Trainer {
  /** Slots per batch of a small model on up to this many threads; each holds a gradient array. */
  public static final int SLOTS = 8;

  /** Models with more parameters than this get one slot per thread. */
  public static final int SLOT_PARAMETERS = 1 << 20;

  private final Model model;
  private Optimizer optimizer = Adam.lr(1e-3);
  private int batchSize = 64;
  private int epochs = 1;
  private int threads = Runtime.getRuntime().availableProcessors();
  private long seed = 1;
  private TrainingListener listener = new TrainingListener() {};

  private Trainer(Model model) {
    this.model = Objects.requireNonNull(model, "model");
  }

  public static Trainer of(Model model) {
    return new Trainer(model);
  }

  public Trainer optimizer(Optimizer optimizer) {
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    return this;
  }

  public Trainer batchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    this.batchSize = batchSize;
    return this;
  }

  public Trainer epochs(int epochs) {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
    }
    this.epochs = epochs;
    return this;
  }

  public Trainer threads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.threads = threads;
    return this;
  }

  /** Seeds the shuffling and dropout (weights are seeded by {@code create(seed)}). */
  public Trainer seed(long seed) {
    this.seed = seed;
    return this;
  }

  public Trainer listener(TrainingListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** Batches in an epoch of {@code samples} (see {@link Sampling#batches}). */
  public int batchesPerEpoch(int samples) {
    return Sampling.batches(samples, batchSize, model);
  }

  public List<EpochResult> fit(LabeledImages train, LabeledImages test) {
    Objects.requireNonNull(train, "training data");
    return fit(Dataset.of(train), test == null ? null : Dataset.of(test));
  }

  /** Trains for the configured epochs; evaluates on {@code test} (may be null) after each. */
  public List<EpochResult> fit(Dataset train, Dataset test) {
    check(train, "training");
    if (test != null) {
      check(test, "test");
    }
    List<EpochResult> history = new ArrayList<>();
    try (Run run = new Run(train)) {
      for (int epoch = 1; epoch <= epochs; epoch++) {
        EpochResult partial = run.epoch(epoch);
        Evaluation evaluation = test == null ? null : evaluate(test);
        EpochResult result =
            new EpochResult(
                epoch, partial.trainLoss(), partial.trainAccuracy(),
                evaluation == null ? Double.NaN : evaluation.loss(),
                evaluation == null ? Double.NaN : evaluation.accuracy(),
                partial.seconds(), partial.imagesPerSecond(), partial.learningRate());
        history.add(result);
        listener.onEpoch(result);
      }
    }
    return history;
  }

  /** Mean loss and accuracy on {@code data} (accuracy NaN when it cannot be scored). */
  public record Evaluation(double loss, double accuracy) {

    /**
     * Scores {@code predictions} (one output vector per sample of {@code data}, one after another)
     * as {@code model}'s loss does; labelled data by the predicted class, binary targets by every
     * output rounded at 0.5. Both trainers, CPU and OpenCL, score this way.
     */
    public static Evaluation of(Model model, Dataset data, float[] predictions) {
      int out = model.outputSize();
      float[] target = new float[out];
      double loss = 0;
      long correct = 0;
      boolean binary = data.binaryTargets();
      for (int i = 0; i < data.size(); i++) {
        data.target(i, target, 0);
        int o = i * out;
        loss += model.loss().ofPrediction(predictions, o, target, 0, out);
        if (data.labeled()) {
          correct += predictedClass(predictions, o, out) == data.label(i) ? 1 : 0;
        } else if (binary) {
          boolean all = true;
          for (int k = 0; k < out; k++) {
            all &= (predictions[o + k] >= 0.5f ? 1f : 0f) == target[k];
          }
          correct += all ? 1 : 0;
        }
      }
      double accuracy = data.labeled() || binary ? (double) correct / data.size() : Double.NaN;
      return new Evaluation(loss / data.size(), accuracy);
    }
  }

  public Evaluation evaluate(Dataset data) {
    check(data, "evaluation");
    float[] predictions = new float[data.size() * model.outputSize()];
    model.predictBatch(data.inputs(), predictions, threads);
    return Evaluation.of(model, data, predictions);
  }

  /**
   * The predicted class of one sample: the index of the highest of {@code values[offset..offset+n)},
   * the first on a tie. Accuracy and confusion matrices are scored this way.
   */
  public static int predictedClass(float[] values, int offset, int n) {
    int best = 0;
    for (int k = 1; k < n; k++) {
      if (values[offset + k] > values[offset + best]) {
        best = k;
      }
    }
    return best;
  }

  private void check(Dataset data, String what) {
    Sampling.check(data, model, what);
  }

  /** The state of one {@code fit}: per-slot gradients, per-thread buffers and the worker threads. */
  private final class Run implements AutoCloseable {
    final Dataset data;
    final Workers workers;
    final int[] order;
    /** Per slot (per thread for networks with batch statistics, see {@link Batch}). */
    final float[][] gradients;
    final float[][] workspaces;
    final float[][] targets;
    final float[][] outputs;
    /** Samples per {@code trainTile} call, and per thread its inputs' offsets, seeds and losses. */
    final int tile;
    final int[][] tileOffsets;
    final long[][] tileNoise;
    final float[][] tileLosses;
    /** Per slot, as the gradients. */
    final double[] losses;
    final long[] correct;
    final int slots;
    final AtomicInteger nextSlot = new AtomicInteger();
    final java.util.function.IntConsumer slotJob = this::trainSlots;
    /** Adds the slots' gradients into the first, a share of the parameters per thread. */
    final java.util.function.IntConsumer sumJob = this::sumShare;
    /** For networks with batch statistics, which train a batch at a time; else null. */
    final Batch batch;
    final int[] batchOffsets;
    int epoch;
    int batchStart;
    int batchCount;

    Run(Dataset data) {
      this.data = data;
      this.workers = new Workers(threads);
      this.order = new int[data.size()];
      int p = model.parameterCount();
      slots =
          model.batchStatistics() || p > SLOT_PARAMETERS || threads > SLOTS
              ? threads
              : Math.min(batchSize, SLOTS);
      gradients = new float[slots][p];
      // Networks with batch statistics train through Batch, which keeps its own activations.
      tile = model.batchStatistics() ? 1 : Math.max(1, model.trainingTile());
      workspaces =
          model.batchStatistics() ? new float[0][] : new float[threads][tile * model.trainingWorkspaceSize()];
      targets = new float[threads][tile * model.outputSize()];
      outputs = new float[threads][tile * model.outputSize()];
      tileOffsets = new int[threads][tile];
      tileNoise = new long[threads][tile];
      tileLosses = new float[threads][tile];
      losses = new double[slots];
      correct = new long[slots];
      batch = model.batchStatistics() ? new Batch(model, workers, batchSize, gradients) : null;
      batchOffsets = new int[batchSize];
    }

    EpochResult epoch(int epoch) {
      this.epoch = epoch;
      Sampling.shuffle(order, seed, epoch);
      int batches = batchesPerEpoch(order.length);
      int trained = Math.min(order.length, batches * batchSize);
      double lossSum = 0;
      long correctSum = 0;
      long started = System.nanoTime();
      for (int b = 0; b < batches; b++) {
        batchStart = b * batchSize;
        batchCount = Math.min(batchSize, order.length - batchStart);
        if (batch != null) {
          trainBatch();
        } else {
          nextSlot.set(0);
          workers.run(slotJob);
        }
        float[] g = gradients[0];
        double batchLoss = losses[0];
        long batchCorrect = correct[0];
        for (int k = 1; k < gradients.length; k++) {
          batchLoss += losses[k];
          batchCorrect += correct[k];
        }
        if (gradients.length > 1 && workers.threads() > 1) {
          workers.run(sumJob);
        } else {
          sumSlots(0, g.length);
        }
        checkFinite(batchLoss, g, epoch, b + 1);
        optimizer.step(model.parameters(), g);
        lossSum += batchLoss;
        correctSum += batchCorrect;
        long done = (long) batchStart + batchCount;
        double seconds = (System.nanoTime() - started) / 1e9;
        listener.onBatch(
            new TrainingListener.BatchProgress(
                epoch, epochs, b + 1, batches, done, lossSum / done,
                data.labeled() ? (double) correctSum / done : Double.NaN, done / seconds,
                optimizer.learningRate()));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      return new EpochResult(
          epoch, lossSum / trained,
          data.labeled() ? (double) correctSum / trained : Double.NaN, Double.NaN,
          Double.NaN, seconds, trained / seconds, optimizer.learningRate());
    }

    /**
     * The current batch through {@link Model#trainBatch}; its loss and correct count are left as
     * thread 0's (summed in sample order), the other threads' as zero.
     */
    void trainBatch() {
      float[] inputs = data.inputs();
      int inputSize = data.inputSize();
      int out = model.outputSize();
      for (int i = 0; i < batchCount; i++) {
        int sample = order[batchStart + i];
        batchOffsets[i] = sample * inputSize;
        data.target(sample, batch.targets(), i * out);
        batch.noise()[i] = Sampling.mix(seed, epoch, batchStart + i);
      }
      batch.load(inputs, batchOffsets, batchCount);
      model.trainBatch(batch);
      double loss = 0;
      long right = 0;
      for (int i = 0; i < batchCount; i++) {
        loss += batch.loss(i);
        int sample = order[batchStart + i];
        if (data.labeled()
            && predictedClass(batch.predictions(), i * out, out) == data.label(sample)) {
          right++;
        }
      }
      Arrays.fill(losses, 0);
      Arrays.fill(correct, 0);
      losses[0] = loss;
      correct[0] = right;
    }

    /** Thread {@code t}'s share of {@link #sumSlots(int, int)}: a contiguous range of the parameters. */
    void sumShare(int t) {
      int p = gradients[0].length;
      int threads = workers.threads();
      sumSlots((int) ((long) p * t / threads), (int) ((long) p * (t + 1) / threads));
    }

    /**
     * The batch's mean gradient of parameters {@code [from, to)} into the first slot's array: the
     * slots added in their order, then scaled, each value as one thread alone would (the same bits
     * on any number of threads).
     */
    void sumSlots(int from, int to) {
      float[] g = gradients[0];
      for (int k = 1; k < gradients.length; k++) {
        float[] other = gradients[k];
        for (int j = from; j < to; j++) {
          g[j] += other[j];
        }
      }
      float scale = 1f / batchCount;
      for (int j = from; j < to; j++) {
        g[j] *= scale;
      }
    }

    /** Thread {@code t} takes the current batch's slots in turn until none are left. */
    void trainSlots(int t) {
      // The weights stay as they are until the optimizer's step after the batch: what the
      // kernels derive from them (packed dense weights, Winograd's kernels) is made once a batch.
      Kernels.holdWeights(true);
      try {
        for (int k = nextSlot.getAndIncrement(); k < slots; k = nextSlot.getAndIncrement()) {
          trainSlot(k, t);
        }
      } finally {
        Kernels.holdWeights(false);
      }
    }

    /**
     * Slot {@code k}'s contiguous samples of the current batch, with thread {@code t}'s buffers, a
     * tile ({@link Model#trainingTile()}) at a time.
     */
    private void trainSlot(int k, int t) {
      int from = batchStart + (int) ((long) batchCount * k / slots);
      int to = batchStart + (int) ((long) batchCount * (k + 1) / slots);
      float[] g = gradients[k];
      Arrays.fill(g, 0f);
      float[] ws = workspaces[t];
      float[] target = targets[t];
      float[] out = outputs[t];
      int[] offsets = tileOffsets[t];
      long[] noise = tileNoise[t];
      float[] tileLoss = tileLosses[t];
      float[] inputs = data.inputs();
      int inputSize = data.inputSize();
      int outputSize = model.outputSize();
      double loss = 0;
      long right = 0;
      for (int i = from; i < to; i += tile) {
        int count = Math.min(tile, to - i);
        for (int s = 0; s < count; s++) {
          int sample = order[i + s];
          offsets[s] = sample * inputSize;
          data.target(sample, target, s * outputSize);
          noise[s] = Sampling.mix(seed, epoch, i + s);
        }
        model.trainTile(inputs, offsets, count, target, out, g, ws, noise, tileLoss);
        for (int s = 0; s < count; s++) {
          loss += tileLoss[s];
          if (data.labeled() && predictedClass(out, s * outputSize, outputSize) == data.label(order[i + s])) {
            right++;
          }
        }
      }
      losses[k] = loss;
      correct[k] = right;
    }

    private void checkFinite(double loss, float[] g, int epoch, int batch) {
      boolean finite = Double.isFinite(loss);
      for (int j = 0; finite && j < g.length; j++) {
        finite = Float.isFinite(g[j]);
      }
      if (finite) {
        return;
      }
      String where = "";
      for (Layer layer : model.layers()) {
        String bad = nonFinite(g, layer.weightOffset(), layer.weightCount(), layer.name() + " weights");
        if (bad == null && layer.hasBias()) {
          bad = nonFinite(g, layer.biasOffset(), layer.biasCount(), layer.name() + " bias");
        }
        if (bad != null) {
          where = "; the first layer with a non-finite gradient is " + bad;
          break;
        }
      }
      throw new TrainingDivergedException(
          model.name() + " diverged in epoch " + epoch + ", batch " + batch + ": the loss is "
              + (Double.isFinite(loss) ? "finite" : String.valueOf(loss)) + where
              + "; lower the learning rate (" + optimizer.learningRate()
              + " now) or check the data for NaN or huge values");
    }

    private String nonFinite(float[] g, int offset, int count, String what) {
      for (int j = offset; j < offset + count; j++) {
        if (!Float.isFinite(g[j])) {
          return what + " (" + g[j] + " at index " + (j - offset) + ")";
        }
      }
      return null;
    }

    @Override
    public void close() {
      workers.close();
    }
  }
}
