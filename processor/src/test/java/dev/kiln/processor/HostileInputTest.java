package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import dev.kiln.runtime.optim.Sgd;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.runtime.train.TrainingDivergedException;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A generated model under bad calls at run time: wrong lengths, nulls, bad offsets, batch sizes
 * that do not match, foreign layers, NaN and infinite values, and bad training data. Each bad
 * call gets an exception that says what was expected, and none changes the model: after each,
 * the parameters and a reference prediction are bit for bit what they were.
 *
 * <p>Decided behavior for non-finite values: predict does not inspect values (that would cost
 * every call), so NaN or infinity flows into the outputs and nothing of it stays behind; the
 * Trainer refuses such data up front (Dataset), and reports divergence naming the layer, before
 * the step that would write NaN into the parameters.
 */
class HostileInputTest {
  static final String[] LAYERS = {
    "@Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) @ReLU Layer conv;",
    "@MaxPool(size = 2) Layer pool;",
    "@Dropout(rate = 0.25) Layer drop;",
    "@Dense(units = 4) @Softmax Layer out;"
  };
  static final int INPUT = 6 * 6 * 2;
  static final int CLASSES = 4;

  static Map<String, byte[]> classes;
  static int badCalls;
  static int nonFinite;

  Model model;
  float[] parameters;
  float[] reference;
  float[] expected;

  @BeforeAll
  static void compile() {
    classes =
        CompiledModels.classFiles(
            Networks.compile(
                Networks.network("Hostile", "height = 6, width = 6, channels = 2", LAYERS),
                Networks.network("Other", "height = 6, width = 6, channels = 2", LAYERS)));
  }

  @BeforeEach
  void snapshot() {
    model = CompiledModels.load(classes, "Hostile", 5);
    parameters = model.parameters().clone();
    reference = input(new SplittableRandom(1));
    expected = model.predict(reference);
  }

  static float[] input(SplittableRandom random) {
    float[] x = new float[INPUT];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
    }
    return x;
  }

  /** The model is exactly as it was: parameters, and what it predicts. */
  void assertIntact(String after) {
    assertArrayEquals(parameters, model.parameters(), 0f, "parameters changed by " + after);
    assertArrayEquals(expected, model.predict(reference), 0f, "predictions changed by " + after);
  }

  /** The call throws {@code type} with a message containing {@code message}, changing nothing. */
  <T extends Throwable> void refused(Class<T> type, String message, Executable call) {
    badCalls++;
    T e = assertThrows(type, call);
    assertNotNull(e.getMessage(), "an exception without a message");
    assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    assertIntact(message);
  }

  @Test
  void predictRefusesBadArraysSayingWhatItExpected() {
    float[] x = reference.clone();
    float[] y = new float[CLASSES];
    refused(NullPointerException.class, "HostileModel: input array is null", () -> model.predict(null));
    refused(NullPointerException.class, "HostileModel: input array is null", () -> model.predict(null, y));
    refused(NullPointerException.class, "HostileModel: output array is null", () -> model.predict(x, null));
    refused(IllegalArgumentException.class,
        "HostileModel: input must hold 72 floats (6x6x2, NHWC), got 71", () -> model.predict(new float[71]));
    refused(IllegalArgumentException.class,
        "input must hold 72 floats (6x6x2, NHWC), got 0", () -> model.predict(new float[0], y));
    refused(IllegalArgumentException.class,
        "HostileModel: output must hold 4 floats ([4]), got 5", () -> model.predict(x, new float[5]));
    refused(NullPointerException.class, "inputs array is null", () -> model.predictBatch(null, y, 1));
    refused(NullPointerException.class, "outputs array is null", () -> model.predictBatch(x, null, 1));
    refused(IllegalArgumentException.class,
        "inputs must hold a whole number of samples of 72 floats, got 73",
        () -> model.predictBatch(new float[73], new float[4], 1));
    refused(IllegalArgumentException.class,
        "3 input samples need an outputs array of 12 floats, got 8",
        () -> model.predictBatch(new float[3 * INPUT], new float[8], 2));
    refused(IllegalArgumentException.class, "threads must be at least 1, got 0",
        () -> model.predictBatch(x, y, 0));
    refused(IllegalArgumentException.class, "threads must be at least 1, got -4",
        () -> model.predictBatch(x, y, -4));
    Layer foreign = CompiledModels.load(classes, "Other", 5).layer("conv");
    refused(NullPointerException.class, "layer is null", () -> model.layerOutput(x, null));
    refused(IllegalArgumentException.class,
        "layer 'conv' (Conv2D 3x3 stride 1 SAME (pad 1/1/1/1) + ReLU) is not one of this model's layers",
        () -> model.layerOutput(x, foreign));
    refused(IllegalArgumentException.class, "input must hold 72 floats",
        () -> model.layerOutput(new float[2], model.layer("pool")));
    refused(NullPointerException.class, "input array is null",
        () -> model.layerOutput(null, model.layer("pool")));
    // Zero samples is a batch of nothing, not an error.
    model.predictBatch(new float[0], new float[0], 3);
    // The input is never written, even when it could be reused as the output.
    assertArrayEquals(reference, x, 0f);
  }

  @Test
  void parameterAccessRefusesForeignLayersAndWrongSizes() {
    Layer conv = model.layer("conv");
    Layer foreign = CompiledModels.load(classes, "Other", 5).layer("conv");
    refused(IllegalArgumentException.class, "no layer named 'nope' in Hostile", () -> model.layer("nope"));
    refused(IllegalArgumentException.class, "layer 'conv' expects 54 weights [3, 3, 2, 3], got 53",
        () -> model.setWeights(conv, new float[53]));
    refused(IllegalArgumentException.class, "layer 'conv' expects 3 bias, got 4",
        () -> model.setBias(conv, new float[4]));
    refused(NullPointerException.class, "weights", () -> model.setWeights(conv, (float[]) null));
    refused(IllegalArgumentException.class, "layer 'pool' (MaxPool 2x2 stride 2 VALID) has no weights",
        () -> model.weights(model.layer("pool")));
    refused(IllegalArgumentException.class, "layer 'drop' (Dropout 0.25) has no bias",
        () -> model.setBias(model.layer("drop"), 1f));
    refused(IllegalArgumentException.class, "layer 'conv' does not belong to Hostile",
        () -> model.setWeights(foreign, new float[54]));
    refused(NullPointerException.class, "layer", () -> model.weights(null));
  }

  @Test
  void trainSampleRefusesBadArraysAndOffsets() {
    float[] x = reference.clone();
    float[] t = {0, 1, 0, 0};
    float[] out = new float[CLASSES];
    float[] g = new float[model.parameterCount()];
    float[] ws = new float[model.trainingWorkspaceSize()];
    refused(NullPointerException.class, "HostileModel: input array is null",
        () -> model.trainSample(null, 0, t, 0, out, 0, g, ws, 1));
    refused(IllegalArgumentException.class,
        "HostileModel: input needs 72 floats at offset -1, but the array holds 72",
        () -> model.trainSample(x, -1, t, 0, out, 0, g, ws, 1));
    refused(IllegalArgumentException.class, "input needs 72 floats at offset 1, but the array holds 72",
        () -> model.trainSample(x, 1, t, 0, out, 0, g, ws, 1));
    refused(IllegalArgumentException.class, "input needs 72 floats at offset 2147483647",
        () -> model.trainSample(x, Integer.MAX_VALUE, t, 0, out, 0, g, ws, 1));
    refused(NullPointerException.class, "target array is null",
        () -> model.trainSample(x, 0, null, 0, out, 0, g, ws, 1));
    refused(IllegalArgumentException.class, "target needs 4 floats at offset 0, but the array holds 3",
        () -> model.trainSample(x, 0, new float[3], 0, out, 0, g, ws, 1));
    refused(IllegalArgumentException.class, "prediction needs 4 floats at offset 2, but the array holds 4",
        () -> model.trainSample(x, 0, t, 0, out, 2, g, ws, 1));
    int n = model.parameterCount();
    refused(IllegalArgumentException.class, "gradients must hold " + n + " floats (one per parameter), got " + (n - 1),
        () -> model.trainSample(x, 0, t, 0, out, 0, new float[n - 1], ws, 1));
    refused(IllegalArgumentException.class, "gradients must hold " + n + " floats (one per parameter), got null",
        () -> model.trainSample(x, 0, t, 0, out, 0, null, ws, 1));
    refused(IllegalArgumentException.class, "the training workspace must hold at least",
        () -> model.trainSample(x, 0, t, 0, out, 0, g, new float[ws.length - 1], 1));
    refused(IllegalArgumentException.class, "the training workspace must hold at least",
        () -> model.trainSample(x, 0, t, 0, out, 0, g, null, 1));
    // The caller's arrays are not touched by a refused call either.
    assertArrayEquals(new float[g.length], g, 0f);
    assertArrayEquals(new float[CLASSES], out, 0f);
  }

  @Test
  void nanAndInfinityFlowThroughPredictAndLeaveNothingBehind() {
    float[][] hostile = new float[4][];
    hostile[0] = reference.clone();
    hostile[0][7] = Float.NaN; // one pixel
    hostile[1] = new float[INPUT];
    Arrays.fill(hostile[1], Float.NaN);
    hostile[2] = reference.clone();
    hostile[2][0] = Float.POSITIVE_INFINITY;
    hostile[3] = new float[INPUT];
    Arrays.fill(hostile[3], Float.NEGATIVE_INFINITY);
    for (float[] x : hostile) {
      nonFinite++;
      float[] y = model.predict(x);
      assertEquals(CLASSES, y.length);
      // Decided: no exception; the prediction shows it (softmax of a NaN or infinite logit is NaN).
      assertFalse(allFinite(y), Arrays.toString(y));
      float[] batch = new float[2 * CLASSES];
      float[] two = Arrays.copyOf(x, 2 * INPUT);
      System.arraycopy(reference, 0, two, INPUT, INPUT);
      model.predictBatch(two, batch, 2);
      assertArrayEquals(expected, Arrays.copyOfRange(batch, CLASSES, 2 * CLASSES), 0f,
          "a NaN sample does not spill into the next one of its batch");
      assertIntact("a non-finite input");
    }
    // trainSample: the loss and the caller's gradients show it; the parameters do not change.
    float[] g = new float[model.parameterCount()];
    float[] out = new float[CLASSES];
    float loss = model.trainSample(hostile[0], 0, new float[] {1, 0, 0, 0}, 0, out, 0, g,
        new float[model.trainingWorkspaceSize()], 3);
    assertTrue(Float.isNaN(loss));
    assertFalse(allFinite(g));
    float nanTarget = model.trainSample(reference, 0, new float[] {Float.NaN, 0, 0, 1}, 0, out, 0,
        new float[model.parameterCount()], new float[model.trainingWorkspaceSize()], 3);
    assertTrue(Float.isNaN(nanTarget));
    nonFinite += 2;
    assertIntact("trainSample on non-finite values");
  }

  static boolean allFinite(float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /** {@code count} random images of the model's shape with labels in [0, classes). */
  static LabeledImages images(int count, TensorShape shape, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] pixels = new float[count * shape.size()];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextDouble();
    }
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = random.nextInt(classes);
    }
    return new LabeledImages(pixels, labels, shape, classes);
  }

  @Test
  void trainerRefusesBadDataBeforeTouchingTheModel() {
    TensorShape shape = model.inputShape();
    LabeledImages good = images(20, shape, CLASSES, 2);
    Trainer trainer = Trainer.of(model).optimizer(Sgd.lr(0.1)).batchSize(8).threads(2);
    LabeledImages empty = new LabeledImages(new float[0], new int[0], shape, CLASSES);
    refused(IllegalArgumentException.class, "the training data is empty", () -> trainer.fit(empty, good));
    refused(IllegalArgumentException.class, "the test data is empty", () -> trainer.fit(good, empty));
    refused(NullPointerException.class, "training data", () -> trainer.fit((LabeledImages) null, good));
    refused(IllegalArgumentException.class,
        "the training samples have 50 floats, but Hostile takes 72 (6x6x2)",
        () -> trainer.fit(images(4, TensorShape.of(5, 5, 2), CLASSES, 3), null));
    refused(IllegalArgumentException.class,
        "the test samples have 36 floats, but Hostile takes 72 (6x6x2)",
        () -> trainer.fit(good, images(4, TensorShape.of(6, 6, 1), CLASSES, 3)));
    refused(IllegalArgumentException.class,
        "the training data has 3 classes, but Hostile has 4 outputs",
        () -> trainer.fit(images(4, shape, 3, 4), null));
    refused(IllegalArgumentException.class,
        "the training data has 2 targets per sample, but Hostile has 4 outputs",
        () -> trainer.fit(Dataset.of(new float[INPUT], INPUT, new float[2], 2), null));
    float[] nan = good.images().clone();
    nan[INPUT + 5] = Float.NaN;
    refused(IllegalArgumentException.class, "image 1 holds NaN at index 5",
        () -> trainer.fit(new LabeledImages(nan, good.labels(), shape, CLASSES), good));
    refused(IllegalArgumentException.class, "label 0 is 4, outside [0, 4)",
        () -> trainer.fit(new LabeledImages(good.images(), labels(good, 4), shape, CLASSES), null));
    refused(IllegalArgumentException.class, "batch size must be at least 1, got 0", () -> trainer.batchSize(0));
    refused(IllegalArgumentException.class, "epochs must be at least 1, got -1", () -> trainer.epochs(-1));
    refused(IllegalArgumentException.class, "threads must be at least 1, got 0", () -> trainer.threads(0));
    refused(IllegalArgumentException.class, "the evaluation data is empty",
        () -> trainer.evaluate(Dataset.of(new float[0], INPUT, new float[0], CLASSES)));
  }

  static int[] labels(LabeledImages images, int first) {
    int[] labels = images.labels().clone();
    labels[0] = first;
    return labels;
  }

  @Test
  void divergenceIsReportedBeforeItReachesTheParameters() {
    // A learning rate of 1e30 makes the first step's parameters huge and the next step's loss
    // infinite: fit stops naming a layer, and no parameter is NaN or infinite.
    LabeledImages data = images(32, model.inputShape(), CLASSES, 6);
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () -> Trainer.of(model).optimizer(Sgd.lr(1e30)).batchSize(8).threads(2).epochs(5).fit(data, null));
    badCalls++;
    assertTrue(e.getMessage().startsWith("Hostile diverged in epoch "), e.getMessage());
    assertTrue(e.getMessage().matches("(?s).*first layer with a non-finite gradient is (conv|out) .*"), e.getMessage());
    assertTrue(e.getMessage().contains("lower the learning rate"), e.getMessage());
    assertTrue(allFinite(model.parameters()), "a NaN or infinite parameter after divergence");
  }

  @AfterAll
  static void report() {
    System.out.println("HOSTILE bad_inputs=" + badCalls + " non_finite_inputs=" + nonFinite
        + " (each refused or contained; parameters and predictions unchanged after every one)");
  }
}
