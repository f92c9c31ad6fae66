package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.opencl.OpenClTestDevice;
import dev.kiln.samples.networks.Cnn2Model;
import dev.kiln.samples.networks.LeNet5Model;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./kiln bench} in quick mode on a synthetic MNIST: every workload and metric prints a
 * RESULT line whose numbers parse, and the FLOP counts match issue 6's.
 */
class BenchCommandTest {
  @TempDir Path dir;

  @Test
  void quickModePrintsOneParsableResultPerWorkloadAndMetric() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 128, 16);
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "bench", "--data", data.toString(), "--calls", "20", "--warmup", "5", "--batches", "2",
            "--warmup-batches", "1", "--warmup-seconds", "0", "--clock-ghz", "4.1", "--no-fork",
            "--rounds", "2");
    assertEquals(0, run.exit(), run.out() + run.err());
    List<String> results = run.results();
    assertEquals(6, results.size(), run.out());
    assertTrue(run.out().strip().endsWith(results.get(5)), "RESULT lines come last");
    String[][] expected = {
      {"LENET", "T1"}, {"LENET", "I1"}, {"LENET", "I256"}, {"SEEDCNN", "T1"}, {"SEEDCNN", "I1"}, {"SEEDCNN", "I256"}
    };
    for (int i = 0; i < expected.length; i++) {
      Map<String, String> r = parse(results.get(i));
      assertEquals("bench", r.get("task"));
      assertEquals(expected[i][0], r.get("workload"), results.get(i));
      assertEquals(expected[i][1], r.get("metric"), results.get(i));
      String key = r.get("metric").equals("I1") ? "us_per_image" : "images_per_s";
      assertTrue(Double.parseDouble(r.get(key)) > 0, results.get(i));
      assertTrue(Double.parseDouble(r.get("gflops")) > 0, results.get(i));
      double share = Double.parseDouble(r.get("peak_share"));
      assertTrue(share > 0 && share < 1, results.get(i));
      if (r.get("metric").equals("I1")) {
        assertEquals("40", r.get("calls"), "20 calls in each of 2 rounds, pooled");
        assertEquals("2", r.get("rounds"), results.get(i));
        assertTrue(Double.parseDouble(r.get("round_us_min")) > 0, results.get(i));
      }
      if (r.get("metric").equals("I256")) {
        assertEquals("1", r.get("batches_per_round"), results.get(i));
      }
      if (r.get("metric").equals("T1")) {
        assertEquals("128", r.get("train_images"));
        assertTrue(Double.parseDouble(r.get("epoch_s")) > 0, results.get(i));
        double accuracy = Double.parseDouble(r.get("test_acc"));
        assertTrue(accuracy >= 0 && accuracy <= 1, results.get(i));
        // The second, warm epoch is reported beside the first.
        assertTrue(Double.parseDouble(r.get("warm_images_per_s")) > 0, results.get(i));
        assertTrue(Double.parseDouble(r.get("warm_epoch_s")) > 0, results.get(i));
      }
    }
    assertTrue(run.out().contains("Kernel path: "), run.out());
    assertTrue(run.out().contains("cores x 4.10 GHz x 2 FMA units x "), run.out());
    assertTrue(run.out().contains("clock from --clock-ghz"), run.out());
    assertTrue(run.out().contains(">= 21,814.0"), "the targets are printed beside the numbers");
  }

  /** ResNet-18 runs on random images: it has no training set, so T1 is a usage error before anything runs. */
  @Test
  void resnetMeasuresInferenceOnly() throws Exception {
    KilnCommandLine.Run run = KilnCommandLine.kiln("bench", "--workload", "RESNET18", "--metric", "T1");
    assertEquals(2, run.exit(), run.out() + run.err());
    assertTrue(run.err().contains("RESNET18 measures inference only"), run.err());
  }

  /** By default each workload and metric runs in its own JVM, whose RESULT line comes back. */
  @Test
  void forkedMeasurementsComeBackAsResults() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 64, 12);
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "bench", "--data", data.toString(), "--metric=I1,T1", "--workload", "lenet",
            "--calls", "5", "--warmup", "2", "--warmup-seconds", "0", "--no-warm-epoch",
            "--clock-ghz", "4.1", "--rounds", "1");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("LENET I1 in a fresh JVM:"), run.out());
    assertTrue(run.out().contains("  | Kernel path: "), "the child's output is echoed: " + run.out());
    List<String> results = run.results();
    assertEquals(2, results.size(), run.out());
    Map<String, String> latency = parse(results.get(0));
    assertEquals("I1", latency.get("metric"), results.get(0));
    assertEquals("5", latency.get("calls"), "options reach the child: " + results.get(0));
    assertTrue(Double.parseDouble(latency.get("us_per_image")) > 0, results.get(0));
    Map<String, String> training = parse(results.get(1));
    assertEquals("T1", training.get("metric"), results.get(1));
    assertEquals("64", training.get("train_images"), results.get(1));
    assertTrue(!results.get(1).contains("warm_"), results.get(1));
    assertTrue(Double.parseDouble(training.get("peak_share")) > 0, results.get(1));
  }

  /**
   * {@code --device opencl} on the test device (PoCL in CI), each metric in a child JVM that gets
   * the option: the device's measured peak, and for inference both rates, with the copies and of
   * the kernels alone.
   */
  @Test
  void openClReportsTheDevicePeakAndBothRates() throws Exception {
    OpenClTestDevice.require();
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 128, 16);
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "bench", "--device", "opencl", "--data", data.toString(), "--workload", "lenet",
            "--metric", "T1,I1,I256", "--batch", "32", "--no-warm-epoch", "--calls", "5", "--warmup", "1",
            "--batches", "2", "--warmup-batches", "1", "--warmup-seconds", "0", "--rounds", "1");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("LENET I256 in a fresh JVM:"), run.out());
    assertTrue(run.out().contains("  | Peak FP32 measured on opencl:"), "the child measures the device: " + run.out());
    List<String> results = run.results();
    assertEquals(3, results.size(), run.out());
    for (String line : results) {
      Map<String, String> r = parse(line);
      assertTrue(r.get("device").startsWith("opencl:"), line);
      assertEquals("opencl", r.get("kernels"), line);
      double peak = Double.parseDouble(r.get("device_peak_gflops"));
      assertTrue(peak > 0 && Double.isFinite(peak), line);
      double gflops = Double.parseDouble(r.get("gflops"));
      assertEquals(gflops / peak, Double.parseDouble(r.get("peak_share")), 1e-3 + 1e-3 * gflops / peak, line);
    }
    Map<String, String> training = parse(results.get(0));
    assertEquals("T1", training.get("metric"));
    assertEquals("32", training.get("batch"), results.get(0));
    assertEquals("128", training.get("train_images"), results.get(0));
    assertTrue(Double.parseDouble(training.get("images_per_s")) > 0, results.get(0));
    Map<String, String> latency = parse(results.get(1));
    assertTrue(Double.parseDouble(latency.get("us_per_image")) > 0, results.get(1));
    assertTrue(Double.parseDouble(latency.get("kernel_us_per_image")) > 0, results.get(1));
    Map<String, String> batched = parse(results.get(2));
    assertTrue(Double.parseDouble(batched.get("images_per_s")) > 0, results.get(2));
    assertTrue(Double.parseDouble(batched.get("kernel_images_per_s")) > 0, results.get(2));
    assertTrue(Double.parseDouble(batched.get("kernel_peak_share")) > 0, results.get(2));
    assertEquals("256", batched.get("capacity"), results.get(2));
  }

  /** A device the user named that is not there is a usage error before anything runs. */
  @Test
  void aMissingNamedDeviceIsAClearError() {
    KilnCommandLine.Run run = KilnCommandLine.kiln("bench", "--device", "opencl:99", "--workload", "lenet", "--metric", "I1");
    assertEquals(2, run.exit(), run.out() + run.err());
    assertTrue(run.err().startsWith("kiln bench: --device opencl:99: "), run.err());
    assertTrue(!run.err().contains("\tat "), "no stack trace: " + run.err());
  }

  @Test
  void noWarmEpochTrainsOneEpochOnly() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 64, 12);
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "bench", "--data", data.toString(), "--workload", "lenet", "--metric", "T1",
            "--no-warm-epoch");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals(1, run.results().size(), run.out());
    assertTrue(run.results().get(0).contains(" epoch_s="), run.results().get(0));
    assertTrue(!run.results().get(0).contains("warm_"), run.results().get(0));
  }

  @Test
  void oneWorkloadAndMetric() throws Exception {
    Path data = SyntheticMnist.write(dir.resolve("mnist"), 10, 12);
    KilnCommandLine.Run run =
        KilnCommandLine.kiln(
            "bench", "--data", data.toString(), "--workload", "seedcnn", "--metric", "I1", "--calls", "3",
            "--warmup", "1", "--warmup-seconds", "0", "--rounds", "1");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals(1, run.results().size(), run.out());
    assertTrue(run.results().get(0).startsWith("RESULT task=bench workload=SEEDCNN metric=I1 us_per_image="));
  }

  @Test
  void badOptionsAreRejectedBeforeAnythingRuns() {
    KilnCommandLine.Run run = KilnCommandLine.kiln("bench", "--data", dir.toString(), "--threads", "0");
    assertEquals(2, run.exit());
    assertEquals("kiln bench: --threads must be at least 1, got 0", run.err().strip());
    assertEquals(2, KilnCommandLine.kiln("bench", "--metric", "T2").exit());
  }

  @Test
  void flopCountsAreTheIssues() {
    // Issue 6: LENET about 0.83 MFLOP forward, SEEDCNN about 7.7.
    assertEquals(833_040, BenchCommand.forwardFlops(LeNet5Model.create(1)));
    assertEquals(7_739_648, BenchCommand.forwardFlops(Cnn2Model.create(1)));
    // Trained: forward, kernel and input gradients, the first layer without an input gradient.
    assertEquals(833_040 + 2 * 833_040 - 2 * 117_600, BenchCommand.trainingFlops(LeNet5Model.create(1)));
  }

  static Map<String, String> parse(String line) {
    Map<String, String> values = new HashMap<>();
    for (String token : line.substring("RESULT ".length()).split(" ")) {
      int eq = token.indexOf('=');
      assertTrue(eq > 0, "key=value: " + token + " in " + line);
      values.put(token.substring(0, eq), token.substring(eq + 1));
    }
    return values;
  }
}
