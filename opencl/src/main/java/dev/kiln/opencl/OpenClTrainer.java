package dev.kiln.opencl;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Sampling;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.runtime.train.TrainingDivergedException;
import dev.kiln.runtime.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Mini-batch training on an OpenCL device, the counterpart of {@link Trainer}: the same
 * settings, the same shuffled order and the same dropout masks for a seed, the same results
 * ({@link EpochResult} per epoch, listener calls). Parameters, gradients and the optimizer's
 * state stay on the device for the whole run; each batch sends its inputs, targets and dropout
 * seeds and gets back only each sample's loss and correctness. The weights come back into the
 * model at the end of {@code fit} (and whenever {@link OpenClModel#download()} is called).
 *
 * <p>Differences from the CPU: sums run in another order (results agree to float rounding, not
 * bit for bit), and divergence is detected from the loss alone (the gradients stay on the
 * device), so a NaN gradient with a finite loss shows one batch later. When {@code fit} stops
 * with a {@link TrainingDivergedException}, the Java model keeps the weights it had before {@code
 * fit} (the device's are no longer finite); {@link OpenClModel#download()} fetches them anyway.
 */
public final class OpenClTrainer {
  private final OpenClModel device;
  private final Model model;
  private Optimizer optimizer = Adam.lr(1e-3);
  private int batchSize;
  private int epochs = 1;
  private long seed = 1;
  private TrainingListener listener = new TrainingListener() {};

  private OpenClTrainer(OpenClModel device) {
    this.device = Objects.requireNonNull(device, "device model");
    this.model = device.model();
    this.batchSize = device.batchCapacity();
  }

  public static OpenClTrainer of(OpenClModel device) {
    return new OpenClTrainer(device);
  }

  public OpenClTrainer optimizer(Optimizer optimizer) {
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    return this;
  }

  /** Mini-batch size, at most the bound model's capacity (the default). */
  public OpenClTrainer batchSize(int batchSize) {
    if (batchSize < 1 || batchSize > device.batchCapacity()) {
      throw new IllegalArgumentException(
          "batch size must be 1 to the bound capacity " + device.batchCapacity() + ", got " + batchSize);
    }
    this.batchSize = batchSize;
    return this;
  }

  public OpenClTrainer epochs(int epochs) {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
    }
    this.epochs = epochs;
    return this;
  }

  /** Seeds the shuffling and dropout, as {@link Trainer#seed} does. */
  public OpenClTrainer seed(long seed) {
    this.seed = seed;
    return this;
  }

  public OpenClTrainer listener(TrainingListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
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
    int in = model.inputSize();
    int out = model.outputSize();
    float[] inputs = new float[batchSize * in];
    float[] targets = new float[batchSize * out];
    long[] noise = new long[batchSize];
    float[] stats = new float[2 * batchSize];
    float[] target = new float[out];
    int[] order = new int[train.size()];
    List<EpochResult> history = new ArrayList<>();
    device.upload();
    for (int epoch = 1; epoch <= epochs; epoch++) {
      Sampling.shuffle(order, seed, epoch);
      int batches = Sampling.batches(order.length, batchSize, model);
      int trained = Math.min(order.length, batches * batchSize);
      double lossSum = 0;
      long correctSum = 0;
      long started = System.nanoTime();
      for (int b = 0; b < batches; b++) {
        int start = b * batchSize;
        int n = Math.min(batchSize, order.length - start);
        for (int k = 0; k < n; k++) {
          int sample = order[start + k];
          System.arraycopy(train.inputs(), sample * in, inputs, k * in, in);
          train.target(sample, target, 0);
          System.arraycopy(target, 0, targets, k * out, out);
          noise[k] = Sampling.mix(seed, epoch, start + k);
        }
        device.trainBatch(inputs, targets, noise, n, stats);
        double batchLoss = 0;
        long batchCorrect = 0;
        for (int k = 0; k < n; k++) {
          batchLoss += stats[2 * k];
          batchCorrect += stats[2 * k + 1] > 0.5f ? 1 : 0;
        }
        if (!Double.isFinite(batchLoss)) {
          throw new TrainingDivergedException(
              model.name() + " diverged on " + device.device().info().name() + " in epoch " + epoch
                  + ", batch " + (b + 1) + ": the loss is " + batchLoss + "; lower the learning rate ("
                  + optimizer.learningRate() + " now) or check the data for NaN or huge values");
        }
        device.step(optimizer);
        lossSum += batchLoss;
        correctSum += batchCorrect;
        long done = (long) start + n;
        double seconds = (System.nanoTime() - started) / 1e9;
        listener.onBatch(
            new TrainingListener.BatchProgress(
                epoch, epochs, b + 1, batches, done, lossSum / done,
                train.labeled() ? (double) correctSum / done : Double.NaN, done / seconds,
                optimizer.learningRate()));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      Trainer.Evaluation evaluation = test == null ? null : evaluate(test);
      EpochResult result =
          new EpochResult(
              epoch, lossSum / trained,
              train.labeled() ? (double) correctSum / trained : Double.NaN,
              evaluation == null ? Double.NaN : evaluation.loss(),
              evaluation == null ? Double.NaN : evaluation.accuracy(),
              seconds, trained / seconds, optimizer.learningRate());
      history.add(result);
      listener.onEpoch(result);
    }
    device.download();
    return history;
  }

  /** Mean loss and accuracy on {@code data}, predicted on the device (as {@link Trainer#evaluate}). */
  public Trainer.Evaluation evaluate(Dataset data) {
    check(data, "evaluation");
    float[] predictions = new float[data.size() * model.outputSize()];
    device.predictBatch(data.inputs(), predictions);
    return Trainer.Evaluation.of(model, data, predictions);
  }

  private void check(Dataset data, String what) {
    Sampling.check(data, model, what);
  }
}
