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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jocl.cl_event;

/**
 * Mini-batch training on an OpenCL device, the counterpart of {@link Trainer}: the same
 * settings, the same shuffled order and the same dropout masks for a seed, the same results
 * ({@link EpochResult} per epoch, listener calls). Parameters, gradients and the optimizer's
 * state stay on the device for the whole run, and so does the training set where it fits
 * ({@link #dataOnDevice}); each batch sends which samples it takes (or their inputs and targets)
 * and its dropout seeds, and gets back only each sample's loss and correctness, without waiting
 * for them before the next batch is on its way. The weights come back into the model at the end
 * of {@code fit} (and whenever {@link OpenClModel#download()} is called).
 *
 * <p>Differences from the CPU: sums run in another order (results agree to float rounding, not
 * bit for bit), and divergence is detected from the loss alone (the gradients stay on the
 * device, and a batch's losses are read while the next one runs), so a NaN loss stops training a
 * batch after it, and a NaN gradient with a finite loss one more batch later. When {@code fit} stops
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
  /** Whether the training set lives on the device; null: when it fits ({@link #holdsOnDevice}). */
  private Boolean dataOnDevice;

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

  /**
   * Whether the training set lives on the device during {@code fit}: uploaded once, each batch
   * then sends only which samples it takes, which a kernel gathers on the device. By default it
   * does when the set takes at most a quarter of the device's memory ({@link
   * OpenClModel#trainingSetFits}); either way the results are the same.
   */
  public OpenClTrainer dataOnDevice(boolean hold) {
    this.dataOnDevice = hold;
    return this;
  }

  /** Whether {@code fit} would hold a training set of {@code samples} samples on the device ({@link #dataOnDevice}). */
  public boolean holdsOnDevice(int samples) {
    return dataOnDevice != null ? dataOnDevice : device.trainingSetFits(samples);
  }

  public List<EpochResult> fit(LabeledImages train, LabeledImages test) {
    Objects.requireNonNull(train, "training data");
    return fit(Dataset.of(train), test == null ? null : Dataset.of(test));
  }

  /**
   * Trains for the configured epochs; evaluates on {@code test} (may be null) after each.
   *
   * <p>Batches are enqueued without waiting: while the device runs one, the host prepares the
   * next, and it reads a batch's losses (for the listener and the divergence check) once the
   * next is on its way. Two batches' host buffers take turns.
   */
  public List<EpochResult> fit(Dataset train, Dataset test) {
    check(train, "training");
    if (test != null) {
      check(test, "test");
    }
    boolean held = holdsOnDevice(train.size());
    int[] order = new int[train.size()];
    List<EpochResult> history = new ArrayList<>();
    Slot[] slots = {new Slot(held), new Slot(held)};
    device.upload();
    if (held) {
      int out = model.outputSize();
      float[] targets = new float[train.size() * out];
      for (int i = 0; i < train.size(); i++) {
        train.target(i, targets, i * out);
      }
      float[] inputs = train.inputs();
      int floats = train.size() * model.inputSize();
      device.holdTrainingSet(inputs.length == floats ? inputs : Arrays.copyOf(inputs, floats), targets);
    }
    try {
      for (int epoch = 1; epoch <= epochs; epoch++) {
        Sampling.shuffle(order, seed, epoch);
        Epoch run = new Epoch(epoch, Sampling.batches(order.length, batchSize, model), train.labeled());
        Slot pending = null;
        for (int b = 0; b < run.batches; b++) {
          Slot slot = slots[b % 2];
          slot.fill(train, order, b * batchSize, Math.min(batchSize, order.length - b * batchSize), epoch, b);
          if (held) {
            device.enqueueHeldBatch(slot.rows, slot.noise, slot.n);
          } else {
            device.enqueueBatch(slot.inputs, slot.targets, slot.noise, slot.n);
          }
          slot.event = device.enqueueStatsRead(slot.stats, slot.n);
          device.step(optimizer);
          slot.learningRate = optimizer.learningRate();
          if (pending != null) {
            run.account(pending);
          }
          pending = slot;
        }
        run.account(pending);
        double seconds = (System.nanoTime() - run.started) / 1e9;
        int trained = Math.min(order.length, run.batches * batchSize);
        Trainer.Evaluation evaluation = test == null ? null : evaluate(test);
        EpochResult result =
            new EpochResult(
                epoch, run.lossSum / trained,
                train.labeled() ? (double) run.correctSum / trained : Double.NaN,
                evaluation == null ? Double.NaN : evaluation.loss(),
                evaluation == null ? Double.NaN : evaluation.accuracy(),
                seconds, trained / seconds, optimizer.learningRate());
        history.add(result);
        listener.onEpoch(result);
      }
    } finally {
      for (Slot slot : slots) {
        if (slot.event != null) {
          device.await(slot.event);
          slot.event = null;
        }
      }
      device.finish();
      if (held) {
        device.releaseTrainingSet();
      }
    }
    device.download();
    return history;
  }

  /** One batch's host side: what it sends (direct buffers, untouched while it runs) and its losses. */
  private final class Slot {
    final ByteBuffer rows;
    final ByteBuffer inputs;
    final ByteBuffer targets;
    /** {@link #inputs} and {@link #targets} as floats: views made once, not per sample. */
    private final FloatBuffer inputFloats;
    private final FloatBuffer targetFloats;
    final ByteBuffer noise = direct(8L * batchSize);
    final ByteBuffer stats = direct(8L * batchSize);
    final float[] target = new float[model.outputSize()];
    /** The pending read of its losses, or null. */
    cl_event event;
    int n;
    int batch;
    double learningRate;

    Slot(boolean held) {
      rows = held ? direct(4L * batchSize) : null;
      inputs = held ? null : direct(4L * batchSize * model.inputSize());
      targets = held ? null : direct(4L * batchSize * model.outputSize());
      inputFloats = held ? null : inputs.asFloatBuffer();
      targetFloats = held ? null : targets.asFloatBuffer();
    }

    /** Batch {@code batch}: the {@code n} samples from {@code start} of {@code order}. */
    void fill(Dataset train, int[] order, int start, int n, int epoch, int batch) {
      this.n = n;
      this.batch = batch;
      int in = model.inputSize();
      int out = model.outputSize();
      for (int k = 0; k < n; k++) {
        int sample = order[start + k];
        if (rows != null) {
          rows.putInt(4 * k, sample);
        } else {
          inputFloats.put(k * in, train.inputs(), sample * in, in);
          train.target(sample, target, 0);
          targetFloats.put(k * out, target, 0, out);
        }
        noise.putLong(8 * k, Sampling.mix(seed, epoch, start + k));
      }
    }
  }

  private static ByteBuffer direct(long bytes) {
    return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
  }

  /** An epoch's running sums, taken batch by batch as their losses arrive. */
  private final class Epoch {
    final int epoch;
    final int batches;
    final boolean labeled;
    final long started = System.nanoTime();
    double lossSum;
    long correctSum;

    Epoch(int epoch, int batches, boolean labeled) {
      this.epoch = epoch;
      this.batches = batches;
      this.labeled = labeled;
    }

    /** Waits for {@code slot}'s losses, adds them up, checks them and tells the listener. */
    void account(Slot slot) {
      device.await(slot.event);
      slot.event = null;
      double batchLoss = 0;
      long batchCorrect = 0;
      for (int k = 0; k < slot.n; k++) {
        batchLoss += slot.stats.getFloat(8 * k);
        batchCorrect += slot.stats.getFloat(8 * k + 4) > 0.5f ? 1 : 0;
      }
      if (!Double.isFinite(batchLoss)) {
        throw new TrainingDivergedException(
            model.name() + " diverged on " + device.device().info().name() + " in epoch " + epoch
                + ", batch " + (slot.batch + 1) + ": the loss is " + batchLoss + "; lower the learning rate ("
                + optimizer.learningRate() + " now) or check the data for NaN or huge values");
      }
      lossSum += batchLoss;
      correctSum += batchCorrect;
      long done = (long) slot.batch * batchSize + slot.n;
      double seconds = (System.nanoTime() - started) / 1e9;
      listener.onBatch(
          new TrainingListener.BatchProgress(
              epoch, epochs, slot.batch + 1, batches, done, lossSum / done,
              labeled ? (double) correctSum / done : Double.NaN, done / seconds, slot.learningRate));
    }
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
