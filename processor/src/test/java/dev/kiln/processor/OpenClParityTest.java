package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import dev.kiln.opencl.OpenCl;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClException;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.runtime.Loss;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Momentum;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.optim.RmsProp;
import dev.kiln.runtime.optim.Schedule;
import dev.kiln.runtime.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated OpenCL program against the generated Java, on a batch of samples: predictions,
 * per-sample losses and the batch's mean gradient of every parameter (which covers every layer's
 * input gradient, since each layer under test has a layer with parameters before it), for every
 * layer kind, activation, loss, both paddings, explicit padding and strides; then the optimizers,
 * and the device runtime's errors and resource release.
 *
 * <p>Tolerance: each compared vector's largest difference must stay under 1e-4 of the vector's
 * largest magnitude. The device sums in another order (a weight gradient sums over the batch
 * first) and computes the losses in float where Java uses double, so elementwise relative error
 * is meaningless for gradients that cancel to near zero; relative to the vector it is the usual
 * normwise test.
 */
class OpenClParityTest {
  static final double TOLERANCE = 1e-4;
  static final int BATCH = 5;

  static List<GradientTest.Net> networks() {
    List<GradientTest.Net> nets = new ArrayList<>(GradientTest.networks());
    nets.add(new GradientTest.Net("LeNet5", "height = 28, width = 28, channels = 1",
        Loss.SOFTMAX_CROSS_ENTROPY, Networks.LENET5));
    nets.add(new GradientTest.Net("Overlapping", "height = 9, width = 8, channels = 2",
        Loss.SOFTMAX_CROSS_ENTROPY,
        "@Conv2D(filters = 3, kernel = 3, stride = 2, padding = Padding.SAME) @LeakyReLU(alpha = 0.2) Layer c;",
        "@MaxPool(size = 3, stride = 2, padding = Padding.SAME) Layer p;",
        "@Flatten @Tanh Layer f;",
        "@Dense(units = 6) Layer h;",
        "@Dropout(rate = 0.4) @Sigmoid Layer d;",
        "@Dense(units = 3) Layer logits;",
        "@Softmax Layer out;"));
    nets.add(new GradientTest.Net("AvgValidStride", "height = 8, width = 9, channels = 3",
        Loss.MEAN_SQUARED_ERROR,
        "@Conv2D(filters = 4, kernel = {2, 3}, stride = {1, 2}, pad = {1, 0}, bias = false) @ReLU Layer c;",
        "@AvgPool(size = 3, stride = 2) Layer p;",
        "@Dense(units = 5, bias = false) @Tanh Layer h;",
        "@Dropout(rate = 0.5) Layer d;",
        "@Dense(units = 2) Layer out;"));
    // Input gradients that apply the derivative before them as they store, on the paths the
    // others miss: c2's through the turned kernel in pixel lanes (one filter), c3's as dot
    // products along its 8 filters (one input channel).
    nets.add(new GradientTest.Net("NarrowChain", "height = 10, width = 10, channels = 1",
        Loss.SOFTMAX_CROSS_ENTROPY,
        "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @Sigmoid Layer c1;",
        "@Conv2D(filters = 1, kernel = 3, padding = Padding.SAME) @Tanh Layer c2;",
        "@Conv2D(filters = 8, kernel = 3, padding = Padding.SAME) @ReLU Layer c3;",
        "@Dense(units = 3) Layer out;"));
    // Max pools that inference runs inside the convolution before them, in register tiles:
    // two blocks of 16 filters by two segments of pooled pixels with SAME padding, no bias and
    // Tanh; then one block of 8 filters, VALID, and Sigmoid.
    nets.add(new GradientTest.Net("PooledTiles", "height = 16, width = 16, channels = 3",
        Loss.SOFTMAX_CROSS_ENTROPY,
        "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, bias = false) @Tanh Layer c1;",
        "@MaxPool(size = 2) Layer p1;",
        "@Conv2D(filters = 8, kernel = 3) @Sigmoid Layer c2;",
        "@MaxPool(size = 2) Layer p2;",
        "@Dense(units = 3) Layer out;"));
    return nets;
  }

  static final CompiledNets COMPILED = new CompiledNets(OpenClParityTest::networks, 7);

  static Model compiled(GradientTest.Net net) {
    return COMPILED.model(net);
  }

  static String program(GradientTest.Net net) {
    return COMPILED.program(net);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void forwardLossesAndGradientsMatchTheJavaCode(GradientTest.Net net) {
    OpenClDevice device = OpenClTests.device();
    Model model = compiled(net);
    SplittableRandom random = new SplittableRandom(net.name().hashCode());
    float[] p = model.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextDouble(-0.5, 0.5); // biases too, so their paths count
    }
    int in = model.inputSize();
    int out = model.outputSize();
    float[] x = new float[BATCH * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    float[] targets = new float[BATCH * out];
    for (int k = 0; k < BATCH; k++) {
      if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
        targets[k * out + random.nextInt(out)] = 1;
      } else {
        for (int j = 0; j < out; j++) {
          targets[k * out + j] = (float) random.nextDouble(net.loss() == Loss.MEAN_SQUARED_ERROR ? -1 : 0, 1);
        }
      }
    }
    long[] noise = new long[BATCH];
    float[] cpuPredictions = new float[BATCH * out];
    float[] cpuLosses = new float[BATCH];
    float[] cpuGradients = new float[p.length];
    float[] ws = new float[model.trainingWorkspaceSize()];
    float[] sampleOut = new float[out];
    for (int k = 0; k < BATCH; k++) {
      noise[k] = random.nextLong();
      cpuLosses[k] = model.trainSample(x, k * in, targets, k * out, sampleOut, 0, cpuGradients, ws, noise[k]);
      float[] one = new float[in];
      System.arraycopy(x, k * in, one, 0, in);
      System.arraycopy(model.predict(one), 0, cpuPredictions, k * out, out);
    }
    for (int i = 0; i < cpuGradients.length; i++) {
      cpuGradients[i] *= 1f / BATCH;
    }

    try (OpenClModel gpu = OpenClModel.bind(device, model, 8, program(net))) {
      float[] predictions = new float[BATCH * out];
      gpu.predictBatch(x, predictions);
      float[] stats = new float[2 * BATCH];
      gpu.trainBatch(x, targets, noise, BATCH, stats);
      float[] losses = new float[BATCH];
      for (int k = 0; k < BATCH; k++) {
        losses[k] = stats[2 * k];
      }
      String report =
          String.format(
              "OpenClParityTest %s: predictions %.2e, losses %.2e, %d gradients %.2e (relative to"
                  + " each vector's largest magnitude)",
              net, difference(predictions, cpuPredictions), difference(losses, cpuLosses),
              p.length, difference(gpu.gradients(), cpuGradients));
      System.out.println(report);
      assertClose(net + " predictions", predictions, cpuPredictions);
      assertClose(net + " losses", losses, cpuLosses);
      assertClose(net + " gradients", gpu.gradients(), cpuGradients);
    }
  }

  /**
   * LeNet-5's small gradients are summed over up to 64 parts of the batch: with 100 samples the
   * parts hold one or two, and the sums still match the Java code's and repeat to the bit.
   */
  @Test
  void gradientsSplitOverTheBatchMatchAndRepeat() {
    OpenClDevice device = OpenClTests.device();
    GradientTest.Net lenet = networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();
    Model model = compiled(lenet);
    int batch = 100;
    int in = model.inputSize();
    int out = model.outputSize();
    SplittableRandom random = new SplittableRandom(100);
    float[] x = new float[batch * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
    }
    float[] targets = new float[batch * out];
    for (int k = 0; k < batch; k++) {
      targets[k * out + random.nextInt(out)] = 1;
    }
    long[] noise = new long[batch];
    float[] cpuGradients = new float[model.parameterCount()];
    float[] ws = new float[model.trainingWorkspaceSize()];
    for (int k = 0; k < batch; k++) {
      model.trainSample(x, k * in, targets, k * out, new float[out], 0, cpuGradients, ws, noise[k]);
    }
    for (int i = 0; i < cpuGradients.length; i++) {
      cpuGradients[i] *= 1f / batch;
    }
    try (OpenClModel gpu = OpenClModel.bind(device, model, batch, program(lenet))) {
      float[] stats = new float[2 * batch];
      gpu.trainBatch(x, targets, noise, batch, stats);
      float[] first = gpu.gradients();
      gpu.trainBatch(x, targets, noise, batch, stats);
      assertArrayEquals(first, gpu.gradients(), "the same batch gives the same bits");
      System.out.printf("OpenClParityTest LeNet5, batch of 100: gradients %.2e%n", difference(first, cpuGradients));
      assertClose("LeNet5 gradients, batch of 100", first, cpuGradients);
    }
  }

  /**
   * {@code OpenClTrainer} with the training set on the device (a kernel gathers each batch by
   * index) and with it on the host (each batch's inputs sent) gives the same epochs and weights
   * to the bit; both equal a loop of the blocking {@code trainBatch} and {@code step} over the
   * same order, seeds and batches (the trainer reads each batch's losses while the next runs).
   * Dropout makes the seeds count; 50 samples in batches of 8 end on a partial batch.
   */
  @Test
  void theTrainingSetOnTheDeviceTrainsAsTheHostsBatchesDo() {
    OpenClDevice device = OpenClTests.device();
    GradientTest.Net net = networks().stream().filter(n -> n.name().equals("Overlapping")).findFirst().orElseThrow();
    Model model = compiled(net);
    int samples = 50;
    int batch = 8;
    int in = model.inputSize();
    int out = model.outputSize();
    SplittableRandom random = new SplittableRandom(50);
    float[] x = new float[samples * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] targets = new float[samples * out];
    for (int k = 0; k < samples; k++) {
      targets[k * out + random.nextInt(out)] = 1;
    }
    dev.kiln.runtime.train.Dataset data = dev.kiln.runtime.train.Dataset.of(x, in, targets, out);
    float[] start = model.parameters().clone();
    OpenClModel.bind(device, model, batch, program(net)).close(); // the program stays with the device
    int handles = OpenCl.liveHandles();
    Map<Boolean, List<dev.kiln.runtime.train.EpochResult>> epochs = new java.util.HashMap<>();
    Map<Boolean, float[]> weights = new java.util.HashMap<>();
    for (boolean held : new boolean[] {true, false}) {
      System.arraycopy(start, 0, model.parameters(), 0, start.length);
      List<Integer> batchesSeen = new ArrayList<>();
      try (OpenClModel gpu = OpenClModel.bind(device, model, batch, program(net))) {
        dev.kiln.opencl.OpenClTrainer trainer =
            dev.kiln.opencl.OpenClTrainer.of(gpu).optimizer(Adam.lr(1e-2)).epochs(2).seed(3).dataOnDevice(held)
                .listener(new dev.kiln.runtime.train.TrainingListener() {
                  @Override
                  public void onBatch(dev.kiln.runtime.train.TrainingListener.BatchProgress progress) {
                    batchesSeen.add(progress.batch());
                  }
                });
        assertEquals(held, trainer.holdsOnDevice(samples));
        epochs.put(held, trainer.fit(data, null));
        assertEquals(0, gpu.heldSamples(), "fit lets the set go");
      }
      assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7), batchesSeen, "every batch reported, in order");
      weights.put(held, model.parameters().clone());
    }
    assertTrue(OpenCl.liveHandles() <= handles + 1, "only the gather's program stays with the device");
    assertArrayEquals(weights.get(false), weights.get(true), "the same weights, held or sent");
    for (int e = 0; e < 2; e++) {
      assertEquals(epochs.get(false).get(e).trainLoss(), epochs.get(true).get(e).trainLoss(), "epoch " + (e + 1) + "'s loss");
      assertEquals(epochs.get(false).get(e).trainAccuracy(), epochs.get(true).get(e).trainAccuracy());
    }

    // The blocking calls, batch after batch, in the trainer's order.
    System.arraycopy(start, 0, model.parameters(), 0, start.length);
    Optimizer adam = Adam.lr(1e-2);
    try (OpenClModel gpu = OpenClModel.bind(device, model, batch, program(net))) {
      int[] order = new int[samples];
      float[] bx = new float[batch * in];
      float[] bt = new float[batch * out];
      long[] noise = new long[batch];
      float[] stats = new float[2 * batch];
      for (int epoch = 1; epoch <= 2; epoch++) {
        dev.kiln.runtime.train.Sampling.shuffle(order, 3, epoch);
        for (int first = 0; first < samples; first += batch) {
          int n = Math.min(batch, samples - first);
          for (int k = 0; k < n; k++) {
            System.arraycopy(x, order[first + k] * in, bx, k * in, in);
            System.arraycopy(targets, order[first + k] * out, bt, k * out, out);
            noise[k] = dev.kiln.runtime.train.Sampling.mix(3, epoch, first + k);
          }
          gpu.trainBatch(bx, bt, noise, n, stats);
          gpu.step(adam);
        }
      }
      gpu.download();
    }
    assertArrayEquals(model.parameters(), weights.get(true), "the trainer's weights are the blocking loop's");
  }

  static double difference(float[] actual, float[] expected) {
    double scale = 0;
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    return scale == 0 ? worst : worst / scale;
  }

  static void assertClose(String what, float[] actual, float[] expected) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Float.isFinite(actual[i]), what + "[" + i + "] = " + actual[i]);
    }
    double d = difference(actual, expected);
    if (d > TOLERANCE) {
      int worst = 0;
      for (int i = 0; i < expected.length; i++) {
        if (Math.abs(actual[i] - expected[i]) > Math.abs(actual[worst] - expected[worst])) {
          worst = i;
        }
      }
      throw new AssertionError(
          what + ": relative difference " + d + "; worst at " + worst + ": OpenCL " + actual[worst]
              + ", Java " + expected[worst]);
    }
  }

  static Stream<Supplier<Optimizer>> optimizers() {
    return Stream.of(
        () -> Sgd.lr(0.1).weightDecay(0.01),
        () -> Momentum.lr(0.05).momentum(0.9),
        () -> Momentum.lr(0.05).nesterov(true).weightDecay(1e-3).decayOnly(0, 15),
        () -> RmsProp.lr(0.01).rho(0.8).weightDecay(1e-3),
        () -> Adam.lr(0.01).weightDecay(1e-3).schedule(Schedule.cosine(6, 1e-4)),
        () -> Adam.lr(3e-3).betas(0.8, 0.99).epsilon(1e-6).decayOnly(5, 20));
  }

  /** The same gradients stepped by the same optimizer on both give the same parameters. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void optimizerStepsMatchTheJavaOptimizers(Supplier<Optimizer> optimizer) {
    OpenClDevice device = OpenClTests.device();
    GradientTest.Net net = networks().stream().filter(n -> n.name().equals("MeanSquared")).findFirst().orElseThrow();
    Model cpu = compiled(net);
    Model onDevice = compiled(net);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < cpu.parameterCount(); i++) {
      cpu.parameters()[i] = onDevice.parameters()[i] = (float) random.nextDouble(-1, 1);
    }
    Optimizer cpuOptimizer = optimizer.get();
    Optimizer deviceOptimizer = optimizer.get();
    try (OpenClModel gpu = OpenClModel.bind(device, onDevice, 4, program(net))) {
      for (int step = 0; step < 6; step++) {
        float[] g = new float[cpu.parameterCount()];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) random.nextDouble(-1, 1) * (i % 3 == 0 ? 1e-3f : 1f);
        }
        cpuOptimizer.step(cpu.parameters(), g);
        gpu.uploadGradients(g);
        gpu.step(deviceOptimizer);
      }
      gpu.download();
    }
    double d = difference(onDevice.parameters(), cpu.parameters());
    System.out.println("OpenClParityTest " + cpuOptimizer + ": parameters differ by " + d);
    assertEquals(cpuOptimizer.steps(), deviceOptimizer.steps());
    assertTrue(d <= 1e-5, cpuOptimizer + ": relative difference " + d);
  }

  @Test
  void aProgramThatDoesNotBuildReportsTheLogAndTheLine() {
    OpenClDevice device = OpenClTests.device();
    String source = "// line 1\n__kernel void broken(__global float* a) {\n  a[0] = undefined_name;\n}\n";
    OpenClException e = assertThrows(OpenClException.class, () -> device.build(source));
    assertTrue(e.getMessage().contains("did not build"), e.getMessage());
    assertTrue(e.getMessage().contains("undefined_name"), e.getMessage());
    assertTrue(e.getMessage().contains(">>     3    a[0] = undefined_name;"), e.getMessage());
  }

  @Test
  void clearErrorsForNoSuchDeviceTooLittleMemoryAndTheWrongProgram() {
    OpenClDevice device = OpenClTests.device();
    OpenClException none = assertThrows(OpenClException.class, () -> OpenCl.find("no-such-device-anywhere"));
    assertTrue(none.getMessage().contains("no OpenCL device matches"), none.getMessage());

    GradientTest.Net lenet = networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();
    Model model = compiled(lenet);
    // (The bind builds and caches the program: count handles after it.)
    // Arrays shorter than the batch are refused before JOCL copies raw bytes past their ends.
    try (OpenClModel bound = OpenClModel.bind(device, model, 4, program(lenet))) {
      float[] inputs = new float[4 * model.inputSize()];
      float[] targets = new float[4 * model.outputSize()];
      IllegalArgumentException shortStats =
          assertThrows(IllegalArgumentException.class,
              () -> bound.trainBatch(inputs, targets, new long[4], 4, new float[4]));
      assertTrue(shortStats.getMessage().contains("stats holds 4 values, the batch needs 8"), shortStats.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> bound.trainBatch(new float[3], targets, new long[4], 4, new float[8]));
    }
    int before = OpenCl.liveHandles();
    // A batch of 100,000 needs a 7 GB workspace buffer: more than this machine's PoCL allows in one
    // buffer, but a large GPU may take it, so that case is checked only where it cannot fit.
    long workspaceBytes = 4L * 100_000 * model.trainingWorkspaceSize();
    if (workspaceBytes > device.info().maxAllocation()) {
      OpenClException memory =
          assertThrows(OpenClException.class, () -> OpenClModel.bind(device, model, 100_000, program(lenet)));
      assertTrue(memory.getMessage().startsWith("out of device memory"), memory.getMessage());
      assertEquals(before, OpenCl.liveHandles(), "a failed bind holds nothing");
    }
    // Beyond 32-bit indices on every device.
    int tooLarge = Integer.MAX_VALUE / model.trainingWorkspaceSize() + 1;
    OpenClException indices =
        assertThrows(OpenClException.class, () -> OpenClModel.bind(device, model, tooLarge, program(lenet)));
    assertTrue(indices.getMessage().contains("32-bit indices"), indices.getMessage());
    assertEquals(before, OpenCl.liveHandles(), "a failed bind holds nothing");

    GradientTest.Net other = networks().get(0);
    OpenClException mismatch =
        assertThrows(OpenClException.class, () -> OpenClModel.bind(device, model, 4, program(other)));
    assertTrue(mismatch.getMessage().contains("does not match"), mismatch.getMessage());
  }

  /** The program is built once per device and source; later binds reuse it and report 0 s. */
  @Test
  void aProgramIsBuiltOncePerDeviceAndReused() {
    OpenClDevice device = OpenClTests.device();
    GradientTest.Net lenet = networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();
    Model model = compiled(lenet);
    // A comment no other test's source has, so that this device has not built it yet.
    String source = program(lenet) + "\n// reuse test " + System.nanoTime() + "\n";
    try (OpenClModel first = OpenClModel.bind(device, model, 4, source)) {
      assertTrue(first.buildSeconds() > 0, "the first bind builds: " + first.buildSeconds());
    }
    int handles = OpenCl.liveHandles();
    try (OpenClModel second = OpenClModel.bind(device, model, 4, source)) {
      assertEquals(0.0, second.buildSeconds(), "the second bind reuses the built program");
    }
    assertEquals(handles, OpenCl.liveHandles(), "the built program stays with the device, the rest goes");
  }

  /** Thousands of binds and closes leave no OpenCL object, file descriptor or memory behind. */
  @Test
  void bindingAndClosingAThousandTimesLeavesNothingBehind() throws IOException {
    OpenClDevice device = OpenClTests.device();
    GradientTest.Net lenet = networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();
    Model model = compiled(lenet);
    String source = program(lenet);
    float[] image = new float[model.inputSize() * 2];
    float[] out = new float[model.outputSize() * 2];
    int handles = 0;
    long fds = 0;
    // Resident memory outside the heap, every 100 binds from the 200th: a leak grows it in every
    // interval, while the JIT's and the allocators' arenas grow it in bursts (up to 118 MiB per
    // 100 binds, for up to 7 intervals in a row, then nothing: 4,000-bind runs end flat), so
    // the test runs 3,000 binds and looks at the median interval.
    long[] resident = new long[29];
    for (int i = 0; i < 3000; i++) {
      if (i == 200) {
        handles = OpenCl.liveHandles();
        fds = openFiles();
      }
      if (i >= 200 && i % 100 == 0) {
        resident[(i - 200) / 100] = residentKiB();
      }
      try (OpenClModel gpu = OpenClModel.bind(device, model, 64, source)) {
        if (i % 100 == 0) {
          gpu.predictBatch(image, out);
        }
      }
    }
    resident[28] = residentKiB();
    long[] growth = new long[28];
    for (int k = 0; k < 28; k++) {
      growth[k] = resident[k + 1] - resident[k];
    }
    long[] sorted = growth.clone();
    java.util.Arrays.sort(sorted);
    long median = (sorted[13] + sorted[14]) / 2;
    System.out.printf(
        "OpenClParityTest: 3000 binds: handles %d -> %d, open files %d -> %d, resident memory outside"
            + " the heap per 100 binds %s KiB (median %+d)%n",
        handles, OpenCl.liveHandles(), fds, openFiles(), java.util.Arrays.toString(growth), median);
    assertEquals(handles, OpenCl.liveHandles());
    assertTrue(openFiles() <= fds + 2, "open files grew from " + fds + " to " + openFiles());
    // A leaked bind would hold its buffers, about 4.5 MiB each, 450 MiB per 100 binds; the median
    // interval must stay under 32 MiB, so any leak over about 330 KiB per bind fails.
    assertTrue(median < 32 * 1024, "resident memory grew by a median " + median + " KiB per 100 binds: " + java.util.Arrays.toString(growth));
  }

  private static long openFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("/proc/self/fd"))) {
      return files.count();
    }
  }

  /** Resident memory outside the Java heap (which grows and shrinks with the other tests). */
  /**
   * Resident memory outside the Java heap: the Rss of every mapping in {@code /proc/self/smaps}
   * but the heap's reservation (the one mapping at least half as large as the maximum heap). The
   * committed heap is no measure of the heap's resident pages: after the heap grows, its new
   * regions become resident as allocation reaches them (410 KiB per bind here, for hundreds of
   * binds), which looked like a native leak.
   */
  private static long residentKiB() throws IOException {
    long heapKiB = Runtime.getRuntime().maxMemory() / 1024;
    long total = 0;
    long size = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      if (line.startsWith("Size:")) {
        size = Long.parseLong(line.replaceAll("[^0-9]", ""));
      } else if (line.startsWith("Rss:") && size < heapKiB / 2) {
        total += Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return total;
  }
}
