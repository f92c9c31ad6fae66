package dev.kiln.spark;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * What the tests share: one real Spark in local mode (two threads, and a task may fail twice, so
 * that Spark retries a failed task once as a cluster would), MNIST, and a LeNet-5 trained in this
 * JVM for the scoring tests to compare against.
 */
final class LocalSpark {
  private static SparkSession spark;
  private static Mnist.Split mnist;
  private static LeNet5Model lenet;

  private LocalSpark() {}

  static synchronized SparkSession session() {
    if (spark == null) {
      spark =
          SparkSession.builder()
              .master("local[2,2]")
              .appName("kiln-spark-tests")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "2")
              .getOrCreate();
    }
    return spark;
  }

  static synchronized Mnist.Split mnist() {
    if (mnist == null) {
      try {
        mnist = Mnist.load(Path.of(System.getProperty("kiln.data", "../data/mnist")));
      } catch (IOException e) {
        // As the samples' end-to-end test (which fetches MNIST, earlier in the build): only where
        // CI is not set may missing data skip these tests.
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty()) {
          throw new UncheckedIOException("MNIST is missing: " + e.getMessage(), e);
        }
        org.junit.jupiter.api.Assumptions.abort(
            "MNIST is not available here (" + e.getMessage() + "; ./kiln mnist fetches it); set CI=true to require it");
      }
    }
    return mnist;
  }

  /** LeNet-5 after one epoch on the first 6,000 training images (about 95% on the test set). */
  static synchronized LeNet5Model lenet() {
    if (lenet == null) {
      LabeledImages train = mnist().train().first(6000);
      lenet = LeNet5Model.create(1);
      Trainer.of(lenet).optimizer(Adam.lr(2e-3)).batchSize(32).epochs(1).threads(2).fit(train, null);
    }
    return lenet;
  }
}
