package dev.kiln.spark;

import static org.apache.spark.sql.functions.col;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.samples.commands.UsageError;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./kiln spark score}: scores the MNIST test images on Spark and writes the predictions. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Scores the MNIST test images with a trained network (a ./kiln mnist checkpoint) on Spark"
          + " and writes id, label, prediction and probability as Parquet; prints the accuracy"
          + " read back from what was written. The output appears only when complete."
    })
final class ScoreCommand implements Callable<Integer> {
  @Mixin SparkOptions options;

  @Option(
      names = "--checkpoint",
      defaultValue = "lenet5.safetensors",
      description = "The network's checkpoint, a local path or a Hadoop URI (default: ${DEFAULT-VALUE}).")
  String checkpoint;

  @Option(
      names = "--out",
      defaultValue = "predictions.parquet",
      description = "Parquet directory to write, a local path or a Hadoop URI (default: ${DEFAULT-VALUE}).")
  String out;

  @Option(names = "--overwrite", description = "Replace --out if it exists (else that is an error).")
  boolean overwrite;

  @Option(names = "--batch", defaultValue = "256", description = "Images per predictBatch call in a task (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--limit", description = "Score the first N test images only (default: all 10,000).")
  Integer limit;

  @Override
  public Integer call() throws IOException {
    options.check();
    if (batch < 1) {
      throw new UsageError("--batch must be at least 1, got " + batch);
    }
    String modelClass = options.modelClass();
    LabeledImages test = SparkOptions.first(options.mnist().test(), limit, "--limit");
    SparkSession spark = options.start("kiln spark score");
    try {
      FileSystem fs = HadoopFiles.fileSystem(out, spark.sparkContext().hadoopConfiguration());
      if (fs.exists(HadoopFiles.path(out)) && !overwrite) {
        throw new UsageError("--out " + out + " exists; pass --overwrite to replace it");
      }
      // Read and checked against the network here: a wrong checkpoint fails before any task.
      KilnClassifier classifier = KilnClassifier.load(modelClass, checkpoint, spark).setBatchSize(batch);
      Dataset<Row> images = ImageFrames.of(spark, test, options.partitions(spark));
      Dataset<Row> scored =
          classifier.transform(images).select("id", "label", "prediction", "probability");
      long started = System.nanoTime();
      HadoopFiles.writeParquet(scored, out, spark.sparkContext().hadoopConfiguration());
      double seconds = (System.nanoTime() - started) / 1e9;

      Dataset<Row> written = spark.read().parquet(out);
      long rows = written.count();
      long correct = written.filter(col("prediction").equalTo(col("label").cast("double"))).count();
      System.out.printf(
          Locale.ROOT, "Scored %,d images with %s from %s in %.1f s; wrote %s%n", rows,
          classifier.network().model().name(), checkpoint, seconds, out);
      System.out.printf(
          Locale.ROOT,
          "RESULT task=spark-score model=%s rows=%d accuracy=%.4f images_per_s=%.0f seconds=%.1f"
              + " master=%s partitions=%d %s batch=%d out=%s%n",
          classifier.network().model().name(), rows, (double) correct / rows, rows / seconds,
          seconds, spark.sparkContext().master(), options.partitions(spark),
          SparkOptions.executors(spark), batch, out);
      return 0;
    } finally {
      options.stop(spark);
    }
  }
}
