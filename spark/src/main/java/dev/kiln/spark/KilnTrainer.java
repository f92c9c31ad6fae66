package dev.kiln.spark;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Sampling;
import dev.kiln.runtime.train.Trainer;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Data-parallel, synchronous training of a Kiln network on Spark by parameter averaging (as
 * Deeplearning4j's Spark training does it). Each partition of the data is one worker's shard.
 * Every round, the driver broadcasts the parameters and the optimizer's state; each task trains a
 * model of its own on the next {@code batchesPerRound} mini-batches of its shard with the
 * runtime's {@link Trainer} (the same loop as {@code ./kiln mnist}, on {@code threadsPerTask}
 * threads), and the parameters, the model state and the optimizer state come back averaged by
 * {@code treeAggregate}, weighted by the samples each task trained on. An epoch is one pass over
 * every shard, each in a fresh random order.
 *
 * <pre>{@code
 * KilnTrainer.Result result =
 *     KilnTrainer.of(LeNet5Model.class.getName()).optimizer(steps -> Adam.lr(1e-3))
 *         .epochs(5).checkpoint("hdfs:///models/lenet5").fit(images);
 * }</pre>
 *
 * <p>With {@link #checkpoint(String)} it saves the network and the optimizer after every epoch,
 * atomically, in {@code DIR/epoch-NNNN/}, and a later {@code fit} with the same settings continues
 * after the last saved epoch. A checkpoint of another network fails on the driver, before any
 * task runs.
 *
 * <p>The data is a DataFrame with an {@code array<float>} column of images (NHWC) and an integer
 * class label; a row of the wrong length, with a NaN or with a label outside the network's classes
 * fails the job naming its partition and position. With two partitions the result is the same bit
 * for bit on every run (the average of two is the same in either order); with more, the order in
 * which Spark merges the tasks' results may change the last bits.
 */
public final class KilnTrainer {
  private final String modelClass;
  private OptimizerFactory optimizer = steps -> Adam.lr(1e-3);
  private int batchSize = 64;
  private int batchesPerRound = 10;
  private int epochs = 1;
  private int threadsPerTask = 1;
  private long seed = 1;
  private String checkpoint;
  private String featuresCol = "features";
  private String labelCol = "label";
  private Consumer<Epoch> listener = epoch -> {};

  private KilnTrainer(String modelClass) {
    this.modelClass = Objects.requireNonNull(modelClass, "modelClass");
  }

  /** Training for a generated model class, e.g. {@code LeNet5Model.class.getName()}. */
  public static KilnTrainer of(String modelClass) {
    KilnNetwork.instantiate(modelClass, 0); // an unknown class fails here, not in a task
    return new KilnTrainer(modelClass);
  }

  public KilnTrainer optimizer(OptimizerFactory optimizer) {
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    return this;
  }

  public KilnTrainer batchSize(int batchSize) {
    this.batchSize = atLeastOne("batch size", batchSize);
    return this;
  }

  /** Mini-batches each task trains between two averagings (k). */
  public KilnTrainer batchesPerRound(int batchesPerRound) {
    this.batchesPerRound = atLeastOne("batches per round", batchesPerRound);
    return this;
  }

  public KilnTrainer epochs(int epochs) {
    this.epochs = atLeastOne("epochs", epochs);
    return this;
  }

  /** Threads each task trains on (1 where Spark gives each task one core, its default). */
  public KilnTrainer threadsPerTask(int threads) {
    this.threadsPerTask = atLeastOne("threads per task", threads);
    return this;
  }

  /** Seeds the initial weights, the shards' order and dropout. */
  public KilnTrainer seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** A directory (local path or Hadoop URI) for a checkpoint after each epoch, and to resume from. */
  public KilnTrainer checkpoint(String directory) {
    this.checkpoint = directory;
    return this;
  }

  public KilnTrainer featuresCol(String name) {
    this.featuresCol = Objects.requireNonNull(name, "featuresCol");
    return this;
  }

  public KilnTrainer labelCol(String name) {
    this.labelCol = Objects.requireNonNull(name, "labelCol");
    return this;
  }

  /** Called on the driver after each epoch (and its checkpoint). */
  public KilnTrainer listener(Consumer<Epoch> listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  private static int atLeastOne(String what, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be at least 1, got " + value);
    }
    return value;
  }

  /**
   * One epoch: its training loss and accuracy (over the samples as they were trained, averaged
   * over the tasks), the images it trained, its wall time, and the network after it.
   */
  public record Epoch(
      int epoch, double trainLoss, double trainAccuracy, long images, double seconds, int rounds,
      KilnNetwork network) {
    public double imagesPerSecond() {
      return images / seconds;
    }
  }

  /** The trained network, the epochs trained by this call, and the epoch it resumed after. */
  public record Result(KilnNetwork network, List<Epoch> epochs, int resumedAfter) {}

  /** Trains on {@code data}; see the class comment. */
  public Result fit(Dataset<Row> data) throws IOException {
    JavaSparkContext spark = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
    Model model = KilnNetwork.instantiate(modelClass, seed);
    TrainingCheckpoint saved =
        checkpoint == null ? null : TrainingCheckpoint.latest(checkpoint, modelClass, spark.hadoopConfiguration());
    KilnNetwork network = saved != null ? saved.network() : KilnNetwork.of(model);
    int steps = saved != null ? saved.steps() : 0;
    float[][] optimizerState = saved != null ? saved.optimizerState() : new float[0][];
    int firstEpoch = saved != null ? saved.epoch() + 1 : 1;

    JavaRDD<Shard> shards =
        data.select(featuresCol, labelCol).toJavaRDD()
            .mapPartitionsWithIndex(new MakeShard(modelClass, featuresCol), true)
            .persist(StorageLevel.MEMORY_ONLY());
    try {
      List<Integer> sizes = shards.map(Shard::size).collect();
      int largest = sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
      if (largest == 0) {
        throw new IllegalArgumentException("the training data is empty");
      }
      int perRound = batchesPerRound * batchSize;
      int rounds = (largest + perRound - 1) / perRound;
      int totalSteps = epochs * rounds * batchesPerRound;
      // The optimizer and a resumed state are checked here, on the driver, before a task runs.
      optimizer.create(totalSteps).restore(steps, optimizerState);

      List<Epoch> history = new ArrayList<>();
      for (int epoch = firstEpoch; epoch <= epochs; epoch++) {
        long started = System.nanoTime();
        double loss = 0;
        double correct = 0;
        long images = 0;
        for (int round = 0; round < rounds; round++) {
          Broadcast<Round> broadcast =
              spark.broadcast(new Round(network, steps, optimizerState, epoch, round));
          Sum sum =
              shards.treeAggregate(
                  new Sum(),
                  new TrainRound(broadcast, optimizer, totalSteps, batchSize, batchesPerRound, threadsPerTask, seed),
                  Sum::merge);
          broadcast.destroy();
          if (sum.samples == 0) {
            continue;
          }
          network = sum.network(modelClass);
          steps = sum.steps;
          optimizerState = sum.optimizerState();
          loss += sum.loss;
          correct += sum.correct;
          images += sum.samples;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Epoch result =
            new Epoch(epoch, loss / images, correct / images, images, seconds, rounds, network);
        if (checkpoint != null) {
          new TrainingCheckpoint(epoch, network, steps, optimizerState)
              .save(checkpoint, spark.hadoopConfiguration());
        }
        history.add(result);
        listener.accept(result);
      }
      return new Result(network, history, firstEpoch - 1);
    } finally {
      shards.unpersist(false);
    }
  }

  /** One partition's images and labels, checked and packed as the runtime's trainer takes them. */
  static final class Shard implements Serializable {
    private static final long serialVersionUID = 1L;
    final int partition;
    final float[] images;
    final int[] labels;

    Shard(int partition, float[] images, int[] labels) {
      this.partition = partition;
      this.images = images;
      this.labels = labels;
    }

    int size() {
      return labels.length;
    }
  }

  private static final class MakeShard
      implements Function2<Integer, Iterator<Row>, Iterator<Shard>> {
    private static final long serialVersionUID = 1L;
    private final String modelClass;
    private final String featuresCol;

    MakeShard(String modelClass, String featuresCol) {
      this.modelClass = modelClass;
      this.featuresCol = featuresCol;
    }

    @Override
    public Iterator<Shard> call(Integer partition, Iterator<Row> rows) {
      Model model = KilnNetwork.instantiate(modelClass, 0);
      int size = model.inputSize();
      int classes = model.outputSize();
      float[] images = new float[1024 * size];
      int[] labels = new int[1024];
      int n = 0;
      for (; rows.hasNext(); n++) {
        Row row = rows.next();
        if (n == labels.length) {
          images = java.util.Arrays.copyOf(images, 2 * images.length);
          labels = java.util.Arrays.copyOf(labels, 2 * labels.length);
        }
        String where = "partition " + partition + ", row " + n + " (counted from 0): ";
        String problem = Scoring.read(row.get(0), model, featuresCol, images, n * size);
        if (problem != null) {
          throw new IllegalArgumentException(where + problem);
        }
        Object label = row.get(1);
        if (!(label instanceof Number number)
            || number.doubleValue() != Math.rint(number.doubleValue())
            || number.doubleValue() < 0 || number.doubleValue() >= classes) {
          throw new IllegalArgumentException(
              where + "label " + label + " is not a class of " + model.name() + " (0 to "
                  + (classes - 1) + ")");
        }
        labels[n] = number.intValue();
      }
      return List.of(
              new Shard(partition, java.util.Arrays.copyOf(images, n * size), java.util.Arrays.copyOf(labels, n)))
          .iterator();
    }
  }

  /** What every task of a round starts from. */
  private record Round(
      KilnNetwork network, int steps, float[][] optimizerState, int epoch, int round)
      implements Serializable {}

  /** One task's round: trains a copy of the network on its shard's next mini-batches. */
  private static final class TrainRound implements Function2<Sum, Shard, Sum> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Round> round;
    private final OptimizerFactory optimizer;
    private final int totalSteps;
    private final int batchSize;
    private final int batchesPerRound;
    private final int threads;
    private final long seed;

    TrainRound(
        Broadcast<Round> round, OptimizerFactory optimizer, int totalSteps, int batchSize,
        int batchesPerRound, int threads, long seed) {
      this.round = round;
      this.optimizer = optimizer;
      this.totalSteps = totalSteps;
      this.batchSize = batchSize;
      this.batchesPerRound = batchesPerRound;
      this.threads = threads;
      this.seed = seed;
    }

    @Override
    public Sum call(Sum sum, Shard shard) {
      Round start = round.value();
      int from = start.round() * batchesPerRound * batchSize;
      int to = Math.min(shard.size(), from + batchesPerRound * batchSize);
      if (from >= to) {
        return sum; // a shorter shard sits out the epoch's last rounds
      }
      // The shard's order for this epoch; this round trains the next slice of it.
      int[] order = new int[shard.size()];
      Sampling.shuffle(order, Sampling.mix(seed, shard.partition, -2), start.epoch());
      Model model = start.network().model();
      int size = model.inputSize();
      float[] images = new float[(to - from) * size];
      int[] labels = new int[to - from];
      for (int i = from; i < to; i++) {
        System.arraycopy(shard.images, order[i] * size, images, (i - from) * size, size);
        labels[i - from] = shard.labels[order[i]];
      }
      LabeledImages slice = new LabeledImages(images, labels, model.inputShape(), model.outputSize());
      Optimizer local = optimizer.create(totalSteps);
      local.restore(start.steps(), start.optimizerState());
      EpochResult trained =
          Trainer.of(model).optimizer(local).batchSize(batchSize).epochs(1).threads(threads)
              .seed(Sampling.mix(seed, start.epoch(), (long) start.round() << 20 | shard.partition))
              .fit(slice, null).get(0);
      return sum.add(model, local, to - from, trained);
    }
  }

  /**
   * The tasks' results summed, weighted by their samples, in doubles (so that the sum of two is
   * the same in either order).
   */
  static final class Sum implements Serializable {
    private static final long serialVersionUID = 1L;
    long samples;
    double loss;
    double correct;
    /** The most steps any task has taken: the optimizer goes on from there. */
    int steps;
    double[] parameters;
    double[] state;
    double[][] optimizer;

    Sum add(Model model, Optimizer trained, int count, EpochResult result) {
      float[][] optimizerState = trained.state();
      if (parameters == null) {
        parameters = new double[model.parameterCount()];
        state = new double[model.state().length];
        optimizer = new double[optimizerState.length][model.parameterCount()];
      }
      accumulate(parameters, model.parameters(), count);
      accumulate(state, model.state(), count);
      for (int k = 0; k < optimizer.length; k++) {
        accumulate(optimizer[k], optimizerState[k], count);
      }
      samples += count;
      loss += result.trainLoss() * count;
      correct += result.trainAccuracy() * count;
      steps = Math.max(steps, trained.steps());
      return this;
    }

    private static void accumulate(double[] into, float[] values, int weight) {
      for (int i = 0; i < into.length; i++) {
        into[i] += (double) values[i] * weight;
      }
    }

    Sum merge(Sum other) {
      if (other.parameters == null) {
        return this;
      }
      if (parameters == null) {
        return other;
      }
      for (int i = 0; i < parameters.length; i++) {
        parameters[i] += other.parameters[i];
      }
      for (int i = 0; i < state.length; i++) {
        state[i] += other.state[i];
      }
      for (int k = 0; k < optimizer.length; k++) {
        for (int i = 0; i < optimizer[k].length; i++) {
          optimizer[k][i] += other.optimizer[k][i];
        }
      }
      samples += other.samples;
      loss += other.loss;
      correct += other.correct;
      steps = Math.max(steps, other.steps);
      return this;
    }

    private float[] mean(double[] sum) {
      float[] mean = new float[sum.length];
      for (int i = 0; i < sum.length; i++) {
        mean[i] = (float) (sum[i] / samples);
      }
      return mean;
    }

    KilnNetwork network(String modelClass) {
      Model model = KilnNetwork.instantiate(modelClass, 0);
      System.arraycopy(mean(parameters), 0, model.parameters(), 0, parameters.length);
      System.arraycopy(mean(state), 0, model.state(), 0, state.length);
      return KilnNetwork.of(model);
    }

    float[][] optimizerState() {
      float[][] means = new float[optimizer.length][];
      for (int k = 0; k < optimizer.length; k++) {
        means[k] = mean(optimizer[k]);
      }
      return means;
    }
  }
}
