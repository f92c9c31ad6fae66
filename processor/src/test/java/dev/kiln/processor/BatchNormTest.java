package dev.kiln.processor;

import static dev.kiln.processor.CompiledModels.model;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Batch;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BatchNorm: its training output and moving averages against values computed by hand, inference
 * with the moving statistics, and the gradients of whole-batch training ({@code trainBatch})
 * against central differences of the batch's summed loss.
 */
class BatchNormTest {
  static final float EPSILON = 0.001f;

  @Test
  void trainingNormalizesByTheBatchAndUpdatesTheMovingAverages() {
    Model m =
        model("Normalize", "height = 1, width = 2, channels = 1",
            "@BatchNorm(momentum = 0.5) Layer bn;");
    assertTrue(m.batchStatistics());
    // Two samples of two pixels: 1, 2 and 3, 4. Mean 2.5, variance 1.25 (1.6667 unbiased).
    Batch batch = Batch.of(m, new float[] {1, 2, 3, 4}, new float[4], new long[2]);
    m.trainBatch(batch);
    float sigma = (float) Math.sqrt(1.25 + EPSILON);
    float[] expected = {-1.5f / sigma, -0.5f / sigma, 0.5f / sigma, 1.5f / sigma};
    assertArrayEquals(expected, batch.predictions(), 1e-6f);
    // moving mean 0.5 * 0 + 0.5 * 2.5; moving variance 0.5 * 1 + 0.5 * 1.25 * 4 / 3
    assertArrayEquals(new float[] {1.25f, 0.5f + 0.5f * 1.25f * 4 / 3}, m.state(), 1e-6f);
    // MSE against zero targets: the loss of sample 0 is the mean of its squared outputs.
    assertEquals((expected[0] * expected[0] + expected[1] * expected[1]) / 2, batch.loss(0), 1e-5f);
  }

  @Test
  void inferenceUsesTheMovingStatisticsAndGammaBeta() {
    Model m =
        model("Infer", "height = 1, width = 1, channels = 2", "@BatchNorm @ReLU Layer bn;");
    m.setWeights(m.layer("bn"), 2, 3);     // gamma
    m.setBias(m.layer("bn"), 0.5f, -1);    // beta
    System.arraycopy(new float[] {1, -1, 4, 9}, 0, m.state(), 0, 4); // means 1, -1; variances 4, 9
    float[] y = m.predict(new float[] {5, 2});
    float a = 2 * (5 - 1) / (float) Math.sqrt(4 + EPSILON) + 0.5f;
    float b = 3 * (2 + 1) / (float) Math.sqrt(9 + EPSILON) - 1;
    assertArrayEquals(new float[] {a, Math.max(0, b)}, y, 1e-5f);
    assertEquals(List.of("bn.gamma", "bn.beta", "bn.moving_mean", "bn.moving_variance"), tensorNames(m));
  }

  @Test
  void trainSampleSaysTheNetworkTrainsByBatch() {
    Model m = model("NoSample", "height = 1, width = 1, channels = 2", "@BatchNorm Layer bn;");
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () -> m.trainSample(new float[2], 0, new float[2], 0, new float[2], 0,
                new float[m.parameterCount()], new float[m.trainingWorkspaceSize()], 0));
    assertTrue(e.getMessage().contains("trains a batch at a time"), e.getMessage());
  }

  @Test
  void batchInferenceFoldsTheBatchNormsAndAgreesWithTheUnfoldedPath() throws Exception {
    Model m =
        model("Folded", "height = 6, width = 6, channels = 2",
            "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, bias = false) Layer c1;",
            "@BatchNorm @ReLU Layer bn1;",
            "@DepthwiseConv2D(kernel = 2, depthMultiplier = 2) Layer dw;",
            "@BatchNorm @ReLU Layer bnDw;",
            "@Conv2D(filters = 3, kernel = 3, stride = 2) Layer c2;",
            "@BatchNorm(epsilon = 0.01) Layer bn2;",
            "@Dense(units = 5) Layer d;",
            "@BatchNorm @Tanh Layer bn3;",
            "@Dense(units = 3) @Softmax Layer out;");
    // Four folds: c1+bn1, dw+bnDw, c2+bn2, d+bn3 (the implicit flatten before d is not a layer of
    // code).
    assertEquals(4, java.util.Arrays.stream(m.getClass().getDeclaredMethods())
        .filter(method -> method.getName().startsWith("fold") && !method.getName().equals("folded"))
        .count());
    SplittableRandom random = new SplittableRandom(5);
    float[] p = m.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) random.nextDouble(-0.5, 0.5);
    }
    float[] state = m.state();
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) random.nextDouble(0.2, 2); // means and variances
    }
    int n = 6;
    float[] x = new float[n * m.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    float[] folded = new float[n * m.outputSize()];
    m.predictBatch(x, folded, 2);
    for (int i = 0; i < n; i++) {
      float[] one = m.predict(java.util.Arrays.copyOfRange(x, i * m.inputSize(), (i + 1) * m.inputSize()));
      for (int k = 0; k < one.length; k++) {
        assertEquals(one[k], folded[i * m.outputSize() + k], 1e-5f, "sample " + i + " output " + k);
      }
    }
    // The fold works on a copy: the model's own parameters are unchanged.
    float[] again = new float[n * m.outputSize()];
    m.predictBatch(x, again, 1);
    assertArrayEquals(folded, again, 0f);
  }

  @Test
  void checkpointsHoldTheMovingStatistics(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    Model a = model("Saved", "height = 1, width = 1, channels = 3", "@BatchNorm Layer bn;");
    System.arraycopy(new float[] {1, 2, 3, 4, 5, 6}, 0, a.state(), 0, 6);
    a.setWeights(a.layer("bn"), 7, 8, 9);
    java.nio.file.Path file = dir.resolve("bn.safetensors");
    dev.kiln.runtime.Checkpoint.save(a, file);
    Model b = model("Saved", "height = 1, width = 1, channels = 3", "@BatchNorm Layer bn;");
    dev.kiln.runtime.Checkpoint.load(b, file);
    assertArrayEquals(a.state(), b.state(), 0f);
    assertArrayEquals(a.parameters(), b.parameters(), 0f);
  }

  @Test
  void withParametersAndStateCopiesATrainedModel() throws Exception {
    Model a = model("Copied", "height = 1, width = 1, channels = 2", "@BatchNorm @Tanh Layer bn;");
    System.arraycopy(new float[] {1, 2, 3, 4}, 0, a.state(), 0, 4);
    Model b = (Model) a.getClass().getMethod("withParameters", float[].class, float[].class)
        .invoke(null, a.parameters(), a.state());
    assertArrayEquals(a.predict(new float[] {0.5f, -1}), b.predict(new float[] {0.5f, -1}), 0f);
    Model fresh = (Model) a.getClass().getMethod("withParameters", float[].class).invoke(null, (Object) a.parameters());
    assertArrayEquals(new float[] {0, 0, 1, 1}, fresh.state(), 0f); // documented: defaults
  }

  @Test
  void aBatchOfOneIsRefusedWhereEachChannelHasOneValue() {
    Model m = model("Lonely", "height = 1, width = 1, channels = 3",
        "@Dense(units = 2) Layer d;", "@BatchNorm Layer bn;");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> m.trainBatch(Batch.of(m, new float[3], new float[2], new long[1])));
    assertTrue(e.getMessage().contains("at least 2 samples"), e.getMessage());
    // Trainer leaves out a last batch of one: 9 samples in batches of 4 train on 8.
    var result = Trainer.of(m).optimizer(Adam.lr(1e-3)).batchSize(4).epochs(1).threads(1).seed(1)
        .fit(Dataset.of(new float[27], 3, new float[18], 2), null).get(0);
    assertEquals(8 / result.seconds(), result.imagesPerSecond(), 1e-6 * result.imagesPerSecond());
  }

  @Test
  void generatedNamesDoNotCollide() {
    // bn's helpers and a field named like them; c1's folded form and a field named c1Folded.
    Model m = model("Names", "height = 3, width = 3, channels = 1",
        "@Conv2D(filters = 2, kernel = 1, bias = false) Layer c1;",
        "@BatchNorm Layer bn;",
        "@Conv2D(filters = 2, kernel = 1, bias = false) Layer c1Folded;",
        "@BatchNorm Layer bnNormalize;",
        "@Conv2D(filters = 2, kernel = 1, bias = false) Layer C1;",
        "@BatchNorm Layer bnTrain;");
    float[] out = new float[2 * m.outputSize()];
    m.predictBatch(new float[2 * m.inputSize()], out, 1);
  }

  static List<String> tensorNames(Model m) {
    List<String> names = new ArrayList<>();
    var layer = m.layer("bn");
    names.add(layer.name() + "." + layer.weightName());
    names.add(layer.name() + "." + layer.biasName());
    names.add(layer.name() + ".moving_mean");
    names.add(layer.name() + ".moving_variance");
    return names;
  }

  static List<GradientTest.Net> networks() {
    return List.of(
        new GradientTest.Net("ConvBatchNorm", "height = 4, width = 4, channels = 2",
            dev.kiln.runtime.Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 2, bias = false) Layer c;",
            "@BatchNorm @Tanh Layer bn;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new GradientTest.Net("BatchNormEverywhere", "height = 4, width = 4, channels = 2",
            dev.kiln.runtime.Loss.SOFTMAX_CROSS_ENTROPY,
            "@BatchNorm Layer bn0;",
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME, bias = false) Layer c1;",
            "@BatchNorm(momentum = 0.9) @Tanh Layer bn1;",
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME, bias = false) Layer c2;",
            "@BatchNorm Layer bn2;",
            "@Add @From({\"bn2\", \"bn0\"}) @Tanh Layer sum;",
            "@Dropout(rate = 0.25) Layer drop;",
            "@Dense(units = 4, bias = false) Layer h;", // a bias before a BatchNorm learns nothing
            "@BatchNorm @Sigmoid Layer bnh;",
            "@Dense(units = 3) @From(\"bnh\") @Softmax Layer out;"),
        // MobileNet's block: a depthwise convolution whose BatchNorm folds into it.
        new GradientTest.Net("DepthwiseBatchNorm", "height = 5, width = 5, channels = 3",
            dev.kiln.runtime.Loss.SOFTMAX_CROSS_ENTROPY,
            "@DepthwiseConv2D(kernel = 3, padding = Padding.SAME, bias = false) Layer dw;",
            "@BatchNorm @ReLU Layer bn;",
            "@Conv2D(filters = 4, kernel = 1, bias = false) Layer pw;",
            "@BatchNorm @ReLU Layer bn2;",
            "@Dense(units = 3) @Softmax Layer out;"));
  }

  static final CompiledNets COMPILED = new CompiledNets(BatchNormTest::networks, 11);

  static Model compiled(GradientTest.Net net) {
    return COMPILED.model(net);
  }

  /**
   * The OpenCL program trains a batch as trainBatch does: the same losses, mean gradients and
   * moving statistics, and the same predictions with them afterwards.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void openClMatchesTheJavaCode(GradientTest.Net net) {
    var device = OpenClTests.device();
    Model cpu = compiled(net);
    Model onDevice = compiled(net);
    SplittableRandom random = new SplittableRandom(net.name().hashCode() + 1);
    for (int i = 0; i < cpu.parameterCount(); i++) {
      cpu.parameters()[i] += (float) random.nextDouble(-0.5, 0.5);
    }
    System.arraycopy(cpu.parameters(), 0, onDevice.parameters(), 0, cpu.parameterCount());
    int n = 6;
    float[] x = inputs(cpu, n, random);
    float[] targets = targets(cpu, n, random);
    long[] noise = {11, 12, 13, 14, 15, 16};
    Batch batch = Batch.of(cpu, x, targets, noise);
    cpu.trainBatch(batch);
    float[] losses = new float[n];
    float[] mean = batch.gradients().clone();
    for (int i = 0; i < n; i++) {
      losses[i] = batch.loss(i);
    }
    for (int i = 0; i < mean.length; i++) {
      mean[i] /= n;
    }
    float[] predictions = new float[n * cpu.outputSize()];
    cpu.predictBatch(x, predictions, 1);
    try (var bound = dev.kiln.opencl.OpenClModel.bind(device, onDevice, 8, COMPILED.program(net))) {
      float[] stats = new float[2 * n];
      bound.trainBatch(x, targets, noise, n, stats);
      float[] deviceLosses = new float[n];
      for (int i = 0; i < n; i++) {
        deviceLosses[i] = stats[2 * i];
      }
      OpenClParityTest.assertClose(net + " losses", deviceLosses, losses);
      OpenClParityTest.assertClose(net + " gradients", bound.gradients(), mean);
      bound.download();
      OpenClParityTest.assertClose(net + " moving statistics", onDevice.state(), cpu.state());
      float[] devicePredictions = new float[predictions.length];
      bound.predictBatch(x, devicePredictions);
      OpenClParityTest.assertClose(net + " predictions", devicePredictions, predictions);
      System.out.printf(
          "BatchNormTest OpenCL %s: losses %.2e, gradients %.2e, moving statistics %.2e, predictions %.2e%n",
          net, OpenClParityTest.difference(deviceLosses, losses),
          OpenClParityTest.difference(bound.gradients(), mean),
          OpenClParityTest.difference(onDevice.state(), cpu.state()),
          OpenClParityTest.difference(devicePredictions, predictions));
    }
  }

  /** {@code n} random inputs in [-1, 1). */
  static float[] inputs(Model model, int n, SplittableRandom random) {
    float[] x = new float[n * model.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    return x;
  }

  /** {@code n} random one-hot targets. */
  static float[] targets(Model model, int n, SplittableRandom random) {
    float[] targets = new float[n * model.outputSize()];
    for (int i = 0; i < n; i++) {
      targets[i * model.outputSize() + random.nextInt(model.outputSize())] = 1;
    }
    return targets;
  }

  /** The batch's summed loss and, into {@code gradients}, its summed parameter gradients. */
  static double batchLoss(Model model, float[] x, float[] targets, long[] noise, float[] gradients) {
    Batch batch = Batch.of(model, x, targets, noise);
    model.trainBatch(batch);
    double loss = 0;
    for (int i = 0; i < noise.length; i++) {
      loss += batch.loss(i);
    }
    if (gradients != null) {
      System.arraycopy(batch.gradients(), 0, gradients, 0, gradients.length);
    }
    return loss;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void batchGradientsMatchFiniteDifferences(GradientTest.Net net) {
    Model model = compiled(net);
    SplittableRandom random = new SplittableRandom(net.name().hashCode());
    float[] p = model.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) random.nextDouble(-0.5, 0.5); // gamma near 1, the rest near 0
    }
    int n = 5;
    float[] x = inputs(model, n, random);
    float[] targets = targets(model, n, random);
    long[] noise = {1, 2, 3, 4, 5};
    float[] analytic = new float[p.length];
    batchLoss(model, x, targets, noise, analytic);
    double worst = 0;
    for (int i = 0; i < p.length; i++) {
      float saved = p[i];
      p[i] = (float) (saved + GradientTest.STEP);
      double up = batchLoss(model, x, targets, noise, null);
      p[i] = (float) (saved - GradientTest.STEP);
      double down = batchLoss(model, x, targets, noise, null);
      p[i] = saved;
      double numeric = (up - down) / ((double) (float) (saved + GradientTest.STEP) - (float) (saved - GradientTest.STEP));
      double error = Math.abs(numeric - analytic[i]);
      worst = Math.max(worst, error);
      assertTrue(
          error <= GradientTest.ABSOLUTE + GradientTest.RELATIVE * Math.abs(numeric),
          net + ": parameter " + i + " analytic " + analytic[i] + ", numeric " + numeric);
    }
    System.out.println("BatchNormTest " + net + ": " + p.length + " parameters, largest difference " + worst);
  }

  @Test
  void trainingRepeatsBitForBitAndHardlyDependsOnTheThreads() {
    // The batch statistics are reduced in sample order whatever the threads; the parameter
    // gradients are summed per thread, then over threads, so the thread count moves the last bits.
    GradientTest.Net net = networks().get(1);
    int[] threads = {3, 3, 1};
    float[][] results = new float[threads.length][];
    for (int run = 0; run < threads.length; run++) {
      Model model = compiled(net);
      SplittableRandom random = new SplittableRandom(7);
      int n = 40;
      float[] x = inputs(model, n, random);
      float[] targets = targets(model, n, random);
      Trainer.of(model).optimizer(Adam.lr(1e-2)).batchSize(8).epochs(2).threads(threads[run]).seed(3)
          .fit(Dataset.of(x, model.inputSize(), targets, model.outputSize()), null);
      float[] all = new float[model.parameterCount() + model.state().length];
      System.arraycopy(model.parameters(), 0, all, 0, model.parameterCount());
      System.arraycopy(model.state(), 0, all, model.parameterCount(), model.state().length);
      results[run] = all;
    }
    assertArrayEquals(results[0], results[1], 0f);
    assertArrayEquals(results[0], results[2], 1e-4f);
  }
}
