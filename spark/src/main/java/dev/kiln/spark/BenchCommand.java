package dev.kiln.spark;

import static org.apache.spark.sql.functions.sum;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.commands.UsageError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./kiln spark bench}: images/s of scoring and training on Spark beside the same work in
 * this JVM without Spark, per master, and the bytes a cluster would move.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures scoring (the test images, cached, best of --repeats) and training (--train-limit"
          + " images, the second of two epochs) on Spark for each --masters entry, beside"
          + " predictBatch and Trainer in one JVM on as many threads as the master has cores;"
          + " prints the broadcast and the bytes each task returns per averaging round."
    })
final class BenchCommand implements Callable<Integer> {
  @Mixin SparkOptions options;

  @Option(names = "--masters", split = ",", defaultValue = "local[1],local[2]", description = "Masters to measure (default: ${DEFAULT-VALUE}).")
  List<String> masters;

  @Option(names = "--train-limit", defaultValue = "12000", description = "Training images per epoch (default: ${DEFAULT-VALUE}).")
  int trainLimit;

  @Option(names = "--repeats", defaultValue = "3", description = "Scoring runs per master; the best counts (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--batch", defaultValue = "64", description = "Training mini-batch (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--batches-per-round", defaultValue = "10", description = "Mini-batches between averagings (default: ${DEFAULT-VALUE}).")
  int batchesPerRound;

  static long serializedBytes(Serializable value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    return bytes.size();
  }

  @Override
  public Integer call() throws IOException {
    options.check();
    if (repeats < 1 || trainLimit < 1 || batch < 1 || batchesPerRound < 1) {
      throw new UsageError("--repeats, --train-limit, --batch and --batches-per-round must be at least 1");
    }
    String modelClass = options.modelClass();
    Mnist.Split mnist = options.mnist();
    LabeledImages train = SparkOptions.first(mnist.train(), trainLimit, "--train-limit");
    LabeledImages test = mnist.test();
    for (String master : masters) {
      options.master = master;
      SparkSession spark = options.start("kiln spark bench");
      try {
        int cores = spark.sparkContext().defaultParallelism();
        Model model = KilnNetwork.instantiate(modelClass, 1);
        KilnNetwork network = KilnNetwork.of(model);

        Dataset<Row> images = ImageFrames.of(spark, test, cores).persist(StorageLevel.MEMORY_ONLY());
        images.count();
        double sparkScore = 0;
        double oneJvmScore = 0;
        float[] out = new float[test.size() * model.outputSize()];
        for (int r = 0; r < repeats; r++) {
          long started = System.nanoTime();
          KilnClassifier.of(network).transform(images).agg(sum("prediction")).collectAsList();
          sparkScore = Math.max(sparkScore, test.size() / ((System.nanoTime() - started) / 1e9));
          started = System.nanoTime();
          model.predictBatch(test.images(), out, cores);
          oneJvmScore = Math.max(oneJvmScore, test.size() / ((System.nanoTime() - started) / 1e9));
        }
        images.unpersist();

        KilnTrainer.Result trained =
            KilnTrainer.of(modelClass).optimizer(steps -> Adam.lr(1e-3)).batchSize(batch)
                .batchesPerRound(batchesPerRound).epochs(2)
                .fit(ImageFrames.of(spark, train, cores));
        KilnTrainer.Epoch second = trained.epochs().get(1);
        Model alone = KilnNetwork.instantiate(modelClass, 1);
        List<EpochResult> oneJvm =
            Trainer.of(alone).optimizer(Adam.lr(1e-3)).batchSize(batch).epochs(2).threads(cores).fit(train, null);

        // What moves per round: the broadcast (network and Adam's two moment arrays) to every
        // executor, and each task's weighted sums back (doubles), as Java serialization sizes.
        Model shaped = trained.network().model();
        KilnTrainer.Sum one = new KilnTrainer.Sum();
        dev.kiln.runtime.optim.Optimizer adam = Adam.lr(1e-3);
        adam.step(shaped.parameters().clone(), new float[shaped.parameterCount()]);
        one.add(shaped, adam, 1, oneJvm.get(0));
        long broadcast = serializedBytes(network) + serializedBytes(adam.state());
        long perTask = serializedBytes(one);
        System.out.printf(
            Locale.ROOT,
            "RESULT task=spark-bench model=%s master=%s cores=%d score_images_per_s=%.0f"
                + " one_jvm_score_images_per_s=%.0f train_images_per_s=%.0f"
                + " one_jvm_train_images_per_s=%.0f spark_test_acc_after_2_epochs=%.4f"
                + " train_images=%d batch=%d batches_per_round=%d rounds_per_epoch=%d"
                + " broadcast_bytes=%d bytes_per_task_per_round=%d%n",
            model.name(), master, cores, sparkScore, oneJvmScore, second.imagesPerSecond(),
            oneJvm.get(1).imagesPerSecond(),
            TrainCommand.accuracy(KilnClassifier.of(trained.network()), ImageFrames.of(spark, test, cores)),
            train.size(), batch, batchesPerRound, second.rounds(), broadcast, perTask);
      } finally {
        options.stop(spark);
      }
    }
    return 0;
  }
}
