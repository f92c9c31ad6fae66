package dev.kiln.spark;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.samples.commands.UsageError;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MnistInceptionModel;
import dev.kiln.samples.networks.MnistMobileNetModel;
import dev.kiln.samples.networks.MnistResNetModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** What both commands share: the master, the partitions, the network and MNIST (a picocli mixin). */
final class SparkOptions {
  /** The networks ./kiln mnist trains, by the names its --model takes. */
  static final Map<String, String> NETWORKS = new LinkedHashMap<>();

  static {
    NETWORKS.put("lenet5", LeNet5Model.class.getName());
    NETWORKS.put("resnet", MnistResNetModel.class.getName());
    NETWORKS.put("inception", MnistInceptionModel.class.getName());
    NETWORKS.put("mobilenet", MnistMobileNetModel.class.getName());
  }

  @Option(
      names = "--master",
      description = "Spark master, e.g. local[2] (default: spark-submit's, else local[*]).")
  String master;

  @Option(
      names = "--partitions",
      description = "Partitions of the data (default: Spark's default parallelism, one per core).")
  Integer partitions;

  @Option(
      names = "--model",
      defaultValue = "lenet5",
      description = "Network: lenet5, resnet, inception, mobilenet or a generated model's class name (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--data",
      defaultValue = "${sys:kiln.home:-.}/data/mnist",
      description = "Directory with the four MNIST IDX files, plain or .gz (./kiln mnist fetches them) (default: ${DEFAULT-VALUE}).")
  Path data;

  void check() {
    if (partitions != null && partitions < 1) {
      throw new UsageError("--partitions must be at least 1, got " + partitions);
    }
    modelClass();
  }

  String modelClass() {
    String name = NETWORKS.get(model.toLowerCase(Locale.ROOT));
    String modelClass = name != null ? name : model;
    try {
      KilnNetwork.instantiate(modelClass, 0);
    } catch (IllegalArgumentException e) {
      throw new UsageError(
          "unknown --model '" + model + "': " + e.getMessage() + "; or one of " + String.join(", ", NETWORKS.keySet()));
    }
    return modelClass;
  }

  Mnist.Split mnist() throws IOException {
    if (!Mnist.present(data)) {
      throw new UsageError(
          "no MNIST in " + data + " (the four IDX files); ./kiln mnist fetches them, or pass --data DIR");
    }
    return Mnist.load(data);
  }

  static LabeledImages first(LabeledImages images, Integer limit, String option) {
    if (limit == null) {
      return images;
    }
    if (limit < 1 || limit > images.size()) {
      throw new UsageError(option + " must be between 1 and " + images.size() + ", got " + limit);
    }
    return images.first(limit);
  }

  /** Whether a session existed before {@link #start} (then it is not ours to stop). */
  boolean borrowed;

  SparkSession start(String app) {
    borrowed = SparkSession.getDefaultSession().isDefined();
    SparkSession.Builder builder =
        SparkSession.builder().appName(app).config("spark.ui.showConsoleProgress", "false");
    if (master != null) {
      builder.master(master);
    } else if (System.getProperty("spark.master") == null) {
      builder.master("local[*]");
    }
    return builder.getOrCreate();
  }

  /** Stops the session if {@link #start} made it. */
  void stop(SparkSession spark) {
    if (!borrowed) {
      spark.stop();
    }
  }

  int partitions(SparkSession spark) {
    return partitions != null ? partitions : spark.sparkContext().defaultParallelism();
  }

  /** Executors running tasks (in local mode the driver's one) and the cores they give. */
  static String executors(SparkSession spark) {
    int executors = spark.sparkContext().statusTracker().getExecutorInfos().length;
    if (executors > 1) {
      executors--; // the driver is listed too, and runs no tasks on a cluster
    }
    return "executors=" + executors + " cores=" + spark.sparkContext().defaultParallelism();
  }
}
