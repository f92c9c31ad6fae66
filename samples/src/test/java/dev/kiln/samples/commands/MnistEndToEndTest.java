package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Schedule;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LeNet-5 trained for one epoch on 6,000 MNIST images reaches at least 95% on 1,000 test images.
 * MNIST is fetched on first use; only where CI is not set may a failed fetch skip the test.
 */
class MnistEndToEndTest {
  @TempDir Path dir;

  static Mnist.Split mnist() throws Exception {
    Path data = Path.of(System.getProperty("kiln.data", "../data/mnist"));
    try {
      return Mnist.load(MnistFetch.ensure(data, new PrintStream(System.out)));
    } catch (IOException e) {
      boolean ci = System.getenv("CI") != null && !System.getenv("CI").isEmpty();
      if (ci) {
        throw e;
      }
      Assumptions.abort("MNIST is not available here (" + e.getMessage() + "); set CI=true to require it");
      throw e;
    }
  }

  @Test
  void lenet5ReachesNinetyFivePercentAfterOneEpochOnASubset() throws Exception {
    Mnist.Split mnist = mnist();
    LabeledImages train = mnist.train().first(6000);
    LabeledImages test = mnist.test().first(1000);
    LeNet5Model net = LeNet5Model.create(1);
    List<EpochResult> history =
        // 1,500 steps of batch 4 with a one-cycle schedule peaking at 3e-3: 95.1-95.9% over
        // seeds 1 to 3 (batch 8 gave 94.6-95.5%, batch 32 with a constant rate 92-94%).
        Trainer.of(net)
            .optimizer(Adam.lr(3e-3).schedule(Schedule.oneCycle(1500, 3e-3)))
            .batchSize(4)
            .epochs(1)
            .threads(2)
            .seed(1)
            .fit(train, test);
    EpochResult epoch = history.get(0);
    System.out.println("MnistEndToEndTest: " + TrainingProgress.line(epoch));
    assertTrue(epoch.testAccuracy() >= 0.95, "test accuracy " + epoch.testAccuracy());

    Path checkpoint = dir.resolve("lenet5.safetensors");
    Checkpoint.save(net, checkpoint);
    LeNet5Model reloaded = LeNet5Model.create(99);
    Checkpoint.load(reloaded, checkpoint);
    float[] a = net.predict(java.util.Arrays.copyOf(test.images(), 784));
    float[] b = reloaded.predict(java.util.Arrays.copyOf(test.images(), 784));
    assertTrue(java.util.Arrays.equals(a, b), "a reloaded checkpoint predicts the same");
    assertTrue(Files.size(checkpoint) > 61_706 * 4);
  }
}
