package dev.kiln.spark;

import static org.apache.spark.sql.functions.col;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Schedule;
import dev.kiln.samples.commands.UsageError;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./kiln spark train}: data-parallel training on MNIST by parameter averaging. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains a network on MNIST on Spark: each partition trains a copy on its shard for"
          + " --batches-per-round mini-batches, then parameters and Adam's state are averaged"
          + " (treeAggregate). Scores the test set on Spark after each epoch, checkpoints each"
          + " epoch to --checkpoint-dir (and resumes from it), and saves the network to --out."
    })
final class TrainCommand implements Callable<Integer> {
  @Mixin SparkOptions options;

  @Option(names = "--epochs", defaultValue = "10", description = "Epochs, counting those a resumed run already did (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--batches-per-round",
      defaultValue = "10",
      description = "Mini-batches each partition trains between two averagings (default: ${DEFAULT-VALUE}).")
  int batchesPerRound;

  @Option(
      names = "--lr",
      defaultValue = "0.003",
      description = "Adam's peak learning rate, one-cycle schedule as ./kiln mnist (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for weights, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--limit", description = "Train on the first N training images only (default: all 60,000).")
  Integer limit;

  @Option(names = "--test-limit", description = "Evaluate on the first N test images only (default: all 10,000).")
  Integer testLimit;

  @Option(
      names = "--checkpoint-dir",
      defaultValue = "spark-checkpoints",
      description = "Directory (local or Hadoop URI) for a checkpoint after each epoch; a run resumes after the latest one there (default: ${DEFAULT-VALUE}).")
  String checkpointDir;

  @Option(
      names = "--out",
      description = "Checkpoint of the trained network, local or Hadoop URI (default: <model>-spark.safetensors).")
  String out;

  @Override
  public Integer call() throws IOException {
    options.check();
    if (epochs < 1 || batch < 1 || batchesPerRound < 1) {
      throw new UsageError("--epochs, --batch and --batches-per-round must be at least 1");
    }
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new UsageError("--lr must be positive, got " + lr);
    }
    String modelClass = options.modelClass();
    Mnist.Split mnist = options.mnist();
    LabeledImages train = SparkOptions.first(mnist.train(), limit, "--limit");
    LabeledImages test = SparkOptions.first(mnist.test(), testLimit, "--test-limit");
    String name = KilnNetwork.instantiate(modelClass, 0).name();
    String output = out != null ? out : options.model.toLowerCase(Locale.ROOT).replace('.', '-') + "-spark.safetensors";
    SparkSession spark = options.start("kiln spark train");
    try {
      int partitions = options.partitions(spark);
      Dataset<Row> trainImages = ImageFrames.of(spark, train, partitions);
      Dataset<Row> testImages = ImageFrames.of(spark, test, partitions).persist(StorageLevel.MEMORY_ONLY());
      double peak = lr;
      System.out.printf(
          Locale.ROOT,
          "Training %s on %,d MNIST images in %d partitions on %s, testing on %,d: %d epochs,"
              + " batch %d, averaging every %d batches, Adam one-cycle lr %s, seed %d%n",
          name, train.size(), partitions, spark.sparkContext().master(), test.size(), epochs, batch,
          batchesPerRound, lr, seed);
      double[] testAccuracy = {Double.NaN};
      KilnTrainer.Result result =
          KilnTrainer.of(modelClass)
              .optimizer(steps -> Adam.lr(peak).schedule(Schedule.oneCycle(steps, peak)))
              .batchSize(batch).batchesPerRound(batchesPerRound).epochs(epochs).seed(seed)
              .checkpoint(checkpointDir)
              .listener(
                  epoch -> {
                    testAccuracy[0] = accuracy(KilnClassifier.of(epoch.network()), testImages);
                    System.out.printf(
                        Locale.ROOT,
                        "epoch %d/%d: train loss %.4f, train accuracy %.4f, test accuracy %.4f,"
                            + " %,.0f images/s (%d rounds, %.1f s); checkpoint in %s%n",
                        epoch.epoch(), epochs, epoch.trainLoss(), epoch.trainAccuracy(),
                        testAccuracy[0], epoch.imagesPerSecond(), epoch.rounds(), epoch.seconds(),
                        checkpointDir);
                  })
              .fit(trainImages);
      if (result.resumedAfter() > 0) {
        System.out.println("Resumed after epoch " + result.resumedAfter() + " from " + checkpointDir);
      }
      if (result.epochs().isEmpty()) {
        testAccuracy[0] = accuracy(KilnClassifier.of(result.network()), testImages);
      }
      result.network().save(
          output,
          Map.of(
              "command", "./kiln spark train --model " + options.model,
              "epochs", String.valueOf(epochs),
              "train_images", String.valueOf(train.size()),
              "test_images", String.valueOf(test.size()),
              "test_accuracy", String.format(Locale.ROOT, "%.4f", testAccuracy[0])),
          spark.sparkContext().hadoopConfiguration());
      System.out.println("Saved " + output);
      long images = result.epochs().stream().mapToLong(KilnTrainer.Epoch::images).sum();
      double seconds = result.epochs().stream().mapToDouble(KilnTrainer.Epoch::seconds).sum();
      System.out.printf(
          Locale.ROOT,
          "RESULT task=spark-train model=%s epochs=%d resumed_after=%d train_images=%d"
              + " test_images=%d test_acc=%.4f images_per_s=%.0f train_seconds=%.1f master=%s"
              + " partitions=%d %s batch=%d batches_per_round=%d checkpoint=%s%n",
          name, epochs, result.resumedAfter(), train.size(), test.size(), testAccuracy[0],
          images / seconds, seconds, spark.sparkContext().master(), partitions,
          SparkOptions.executors(spark), batch, batchesPerRound, output);
      return 0;
    } finally {
      options.stop(spark);
    }
  }

  /** The test accuracy, scored on Spark. */
  static double accuracy(KilnClassifier classifier, Dataset<Row> images) {
    Dataset<Row> scored = classifier.transform(images).select("label", "prediction");
    long total = images.count();
    long correct = scored.filter(col("prediction").equalTo(col("label").cast("double"))).count();
    return (double) correct / total;
  }
}
