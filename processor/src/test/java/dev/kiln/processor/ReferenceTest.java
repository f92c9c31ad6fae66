package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.processor.Declaration.Act;
import dev.kiln.processor.Declaration.ActKind;
import dev.kiln.processor.Declaration.Conv;
import dev.kiln.processor.Declaration.Dense;
import dev.kiln.processor.Declaration.Dropout;
import dev.kiln.processor.Declaration.Field;
import dev.kiln.processor.Declaration.Flatten;
import dev.kiln.processor.Declaration.Padding;
import dev.kiln.processor.Declaration.Pool;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Generated models against the {@link Oracle}, the plain double-precision reference. First the
 * oracle itself is pinned down: against values worked out by hand with TensorFlow's rules, and
 * its backward pass against its own finite differences. Then random single convolutions and
 * poolings (every kernel, stride and padding mode: the generated interior/border split), and whole
 * networks, among them the regressions FuzzTest found, forward and every gradient.
 */
class ReferenceTest {
  static final int INT_MAX = Integer.MAX_VALUE;

  // ---------------------------------------------------------------- the oracle itself

  static Declaration one(String name, int h, int w, int c, Declaration.Spec layer) {
    return new Declaration(name, h, w, c, List.of(new Field("l", layer, null)), 0);
  }

  static double[] predict(Declaration d, float[] parameters, float[] x) {
    return Oracle.of(d).predict(parameters, x);
  }

  static float[] range(int from, int count) {
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = from + i;
    }
    return v;
  }

  static double[] doubles(double... v) {
    return v;
  }

  @Test
  void oracleMatchesTensorFlowValuesWorkedOutByHand() {
    // The same cases as ForwardTest, which checks generated code against them.
    float[] ones9 = new float[9];
    Arrays.fill(ones9, 1);
    Conv k2 = new Conv(1, new int[] {2}, new int[] {1}, Padding.VALID, new int[0], false, null);
    assertArrayEquals(doubles(12, 16, 24, 28), predict(one("V", 3, 3, 1, k2), ones9, range(1, 9)));
    Conv k2same = new Conv(1, new int[] {2}, new int[] {1}, Padding.SAME, new int[0], false, null);
    assertArrayEquals(
        doubles(12, 16, 9, 24, 28, 15, 15, 17, 9), predict(one("S", 3, 3, 1, k2same), ones9, range(1, 9)));
    Conv k3stride2 = new Conv(1, new int[] {3}, new int[] {2}, Padding.SAME, new int[0], false, null);
    assertArrayEquals(
        doubles(16, 33, 28, 69, 117, 87, 76, 123, 88),
        predict(one("S2", 5, 5, 1, k3stride2), ones9, range(1, 25)));
    Conv pad1 = new Conv(1, new int[] {3}, new int[] {1}, Padding.VALID, new int[] {1}, false, null);
    assertArrayEquals(
        doubles(12, 21, 16, 27, 45, 33, 24, 39, 28), predict(one("P", 3, 3, 1, pad1), ones9, range(1, 9)));
    Conv rect = new Conv(1, new int[] {1, 3}, new int[] {2, 1}, Padding.VALID, new int[0], false, null);
    assertArrayEquals(
        doubles(14, 20, 62, 68, 110, 116),
        predict(one("R", 5, 4, 1, rect), new float[] {1, 2, 3}, range(1, 20)));
    // Depthwise: the same cases as ForwardTest's depthwise tests.
    float[] twoChannels = new float[18];
    for (int px = 0; px < 9; px++) {
      twoChannels[2 * px] = px + 1;
      twoChannels[2 * px + 1] = -(px + 1);
    }
    Declaration.Depthwise dw =
        new Declaration.Depthwise(1, new int[] {2}, new int[] {1}, Padding.VALID, new int[0], false, null);
    assertArrayEquals(
        doubles(12, -6, 16, -8, 24, -12, 28, -14),
        predict(one("Dw", 3, 3, 2, dw), new float[] {1, 1, 1, 0, 1, 0, 1, 1}, twoChannels));
    Declaration.Depthwise dwSame =
        new Declaration.Depthwise(2, new int[] {2}, new int[] {1}, Padding.SAME, new int[0], true, null);
    assertArrayEquals(
        doubles(20, 19, 16, 22, 17, 19, 14, 24),
        predict(one("DwS", 2, 2, 1, dwSame), new float[] {1, 1, 1, -1, 1, 0, 1, 0, 10, 20},
            new float[] {1, 2, 3, 4}));
    // Pooling with SAME ignores the padding: the max of negatives stays negative, the average
    // divides by the real cells only.
    Pool maxSame = new Pool(true, new int[] {2}, new int[] {2}, Padding.SAME);
    assertArrayEquals(doubles(-5, -4, -2, -1), predict(one("M", 3, 3, 1, maxSame), new float[0], range(-9, 9)));
    Pool avgSame = new Pool(false, new int[] {2}, new int[] {2}, Padding.SAME);
    assertArrayEquals(doubles(3, 4.5, 7.5, 9), predict(one("A", 3, 3, 1, avgSame), new float[0], range(1, 9)));
    // Dense: [in, out] weights, then the bias; flattening is HWC order.
    Declaration dense = one("D", 1, 1, 3, new Dense(2, true, null));
    assertArrayEquals(doubles(22.5, 27.5), predict(dense, new float[] {1, 2, 3, 4, 5, 6, 0.5f, -0.5f}, range(1, 3)));
    Declaration flatten = new Declaration("F", 2, 1, 2, List.of(
        new Field("f", new Flatten(), null), new Field("d", new Dense(1, false, null), null)), 0);
    assertArrayEquals(doubles(4321), predict(flatten, new float[] {1, 10, 100, 1000}, range(1, 4)));
  }

  @Test
  void oracleLossesFollowTheRuntimeDefinitions() {
    // Loss.java: softmax cross-entropy from the logits, sigmoid cross-entropy and MSE averaged.
    float[] identity = {1, 0, 0, 1, 0, 0};
    float[] x = {2, -1};
    float[] oneHot = {0, 1};
    Declaration softmax = new Declaration("Sm", 1, 1, 2,
        List.of(new Field("out", new Dense(2, true, null), Act.of(ActKind.SOFTMAX))), 0);
    Oracle.Gradients g = Oracle.of(softmax).gradients(identity, x, oneHot, null);
    assertEquals(Math.log(Math.exp(2) + Math.exp(-1)) + 1, g.loss(), 1e-12);
    double p0 = Math.exp(2) / (Math.exp(2) + Math.exp(-1));
    assertArrayEquals(doubles(p0, 1 - p0), g.prediction(), 1e-12);
    // dLoss/dz = p - t = (p0, -p0); weight [i, o] gets x_i (p_o - t_o), bias o gets p_o - t_o.
    assertArrayEquals(doubles(2 * p0, -2 * p0, -p0, p0, p0, -p0), g.parameters(), 1e-12);
    Declaration sigmoid = new Declaration("Sg", 1, 1, 2,
        List.of(new Field("out", new Dense(2, true, null), Act.of(ActKind.SIGMOID))), 0);
    float[] targets = {0.25f, 1};
    g = Oracle.of(sigmoid).gradients(identity, x, targets, null);
    double expected = 0;
    for (int i = 0; i < 2; i++) {
      double z = x[i];
      expected += Math.max(z, 0) - z * targets[i] + Math.log1p(Math.exp(-Math.abs(z)));
    }
    assertEquals(expected / 2, g.loss(), 1e-12);
    Declaration mse = new Declaration("Ms", 1, 1, 2,
        List.of(new Field("out", new Dense(2, true, null), Act.of(ActKind.TANH))), 0);
    g = Oracle.of(mse).gradients(identity, x, targets, null);
    double a = Math.tanh(2) - 0.25;
    double b = Math.tanh(-1) - 1;
    assertEquals((a * a + b * b) / 2, g.loss(), 1e-12);
  }

  @Test
  void oracleGradientsMatchItsOwnFiniteDifferences() {
    // Double-precision central differences of the oracle's loss, on fuzzed networks with random
    // dropout masks: this checks the oracle's backward pass without any generated code.
    Fuzzer fuzzer = new Fuzzer(77);
    SplittableRandom random = new SplittableRandom(78);
    int networks = 0;
    int parameters = 0;
    for (int n = 0; n < 40; n++) {
      Declaration declaration = fuzzer.valid("O" + n, true);
      Oracle oracle = Oracle.of(declaration);
      float[] p = new float[oracle.parameterCount];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) random.nextDouble(-0.5, 0.5);
      }
      double[][] masks = new double[oracle.layers.size()][];
      for (int i = 0; i < masks.length; i++) {
        Oracle.Layer l = oracle.layers.get(i);
        masks[i] = new double[l.out.size()];
        for (int j = 0; j < masks[i].length; j++) {
          masks[i][j] = random.nextDouble() < l.rate ? 0 : 1 / (1 - l.rate);
        }
      }
      float[] x = new float[oracle.input.size()];
      float[] t = new float[oracle.output().size()];
      Oracle.Gradients g = null;
      for (int attempt = 0; attempt < 20 && (g == null || g.margin() < 1e-2); attempt++) {
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextDouble(-1, 1);
        }
        Arrays.fill(t, 0);
        t[random.nextInt(t.length)] = 1;
        g = oracle.gradients(p, x, t, masks);
      }
      if (g.margin() < 1e-2) {
        continue; // every input lands near a kink: the differences would cross it
      }
      networks++;
      for (int k = 0; k < Math.min(30, p.length); k++) {
        int i = random.nextInt(p.length);
        float saved = p[i];
        double step = 1e-4;
        p[i] = (float) (saved + step);
        double up = oracle.gradients(p, x, t, masks).loss();
        double h = p[i];
        p[i] = (float) (saved - step);
        double down = oracle.gradients(p, x, t, masks).loss();
        h -= p[i];
        p[i] = saved;
        double numeric = (up - down) / h;
        assertEquals(numeric, g.parameters()[i], 1e-5 + 1e-4 * Math.abs(numeric),
            "parameter " + i + " of\n" + declaration);
        parameters++;
      }
    }
    assertTrue(networks >= 30, networks + " networks checked");
    System.out.println("ReferenceTest: oracle gradients of " + parameters + " parameters in "
        + networks + " fuzzed networks match its own finite differences");
  }

  // ---------------------------------------------------------------- generated code

  /** Compiles declarations in one javac run and checks each against the oracle. */
  static void checkAll(List<Declaration> declarations, boolean gradients, String what) {
    List<JavaFileObject> files = new ArrayList<>();
    declarations.forEach(d -> files.add(d.file()));
    Map<String, byte[]> classes =
        CompiledModels.classFiles(Networks.compile(files.toArray(new JavaFileObject[0])));
    ClassLoader loader = CompiledModels.loader(classes);
    double worstForward = 0;
    double worstGradient = 0;
    for (Declaration d : declarations) {
      try {
        Oracle oracle = Oracle.of(d);
        Model model = CompiledModels.create(loader, d.name, 3);
        OracleChecks.layout(model, oracle);
        SplittableRandom random = new SplittableRandom(d.name.hashCode());
        OracleChecks.randomParameters(model, random);
        for (int i = 0; i < 3; i++) {
          worstForward = Math.max(worstForward,
              OracleChecks.forward(model, oracle, OracleChecks.randomInput(model, random)));
        }
        if (gradients) {
          double worst = OracleChecks.gradients(model, oracle, random);
          assertTrue(worst >= 0, "no input away from ReLU and max-pool kinks");
          worstGradient = Math.max(worstGradient, worst);
        }
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\n" + d.source(), e);
      }
    }
    System.out.printf("ReferenceTest: %d %s match the oracle, largest difference %.2e forward, %.2e"
        + " gradients%n", declarations.size(), what, worstForward, worstGradient);
  }

  @Test
  void randomConvolutionsAndPoolingsMatchTheOracle() {
    // One layer each, small shapes, every padding mode: the generated split into an interior
    // without bounds checks and a clipped border must not show.
    SplittableRandom random = new SplittableRandom(20261129);
    List<Declaration> declarations = new ArrayList<>();
    while (declarations.size() < 60) {
      String name = "R" + declarations.size();
      int h = 1 + random.nextInt(9);
      int w = 1 + random.nextInt(9);
      int c = 1 + random.nextInt(4);
      int[] kernel = {1 + random.nextInt(5), 1 + random.nextInt(5)};
      int[] stride = {1 + random.nextInt(3), 1 + random.nextInt(3)};
      int mode = random.nextInt(3);
      Padding padding = mode == 1 ? Padding.SAME : Padding.VALID;
      int[] pad = mode == 2 ? new int[] {random.nextInt(3)} : new int[0];
      int filters = random.nextInt(4) == 0 ? 17 + random.nextInt(24) : 1 + random.nextInt(10);
      Declaration.Spec layer =
          switch (random.nextInt(4)) {
            case 0 -> new Pool(true, kernel, stride, padding);
            case 1 -> new Pool(false, kernel, stride, padding);
            default -> new Conv(filters, kernel, stride, padding, pad, random.nextBoolean(), null);
          };
      if (layer instanceof Pool && pad.length > 0) {
        continue; // pooling has no explicit pad
      }
      Declaration d = one(name, h, w, c, layer);
      try {
        Oracle.of(d);
      } catch (IllegalArgumentException e) {
        continue; // the window does not fit: that is DiagnosticsTest's business
      }
      declarations.add(d);
    }
    checkAll(declarations, true, "random conv/pool layers");
  }

  static Field f(String name, Declaration.Spec layer, ActKind act) {
    return new Field(name, layer, act == null ? null : Act.of(act));
  }

  static Conv conv(int filters, int kernel, int stride, Padding padding, int... pad) {
    return new Conv(filters, new int[] {kernel}, new int[] {stride}, padding, pad, true, null);
  }

  @Test
  void wholeNetworksAndFuzzRegressionsMatchTheOracle() {
    List<Declaration> d = new ArrayList<>();
    d.add(new Declaration("LeNet5", 28, 28, 1, List.of(
        f("c1", conv(6, 5, 1, Padding.SAME), ActKind.RELU),
        f("s2", new Pool(true, new int[] {2}, new int[] {2}, Padding.VALID), null),
        f("c3", conv(16, 5, 1, Padding.VALID), ActKind.RELU),
        f("s4", new Pool(true, new int[] {2}, new int[] {2}, Padding.VALID), null),
        f("c5", new Dense(120, true, null), ActKind.RELU),
        f("f6", new Dense(84, true, null), ActKind.RELU),
        f("output", new Dense(10, true, null), ActKind.SOFTMAX)), 1));
    d.add(new Declaration("Everything", 9, 7, 3, List.of(
        f("a", new Conv(8, new int[] {4, 3}, new int[] {2, 1}, Padding.VALID, new int[] {2, 1}, true, null),
            ActKind.TANH),
        new Field("b", new Conv(19, new int[] {3}, new int[] {1}, Padding.SAME, new int[0], false, null),
            Act.leaky(0.1)),
        f("c", new Pool(false, new int[] {3, 2}, new int[] {2, 1}, Padding.SAME), ActKind.SIGMOID),
        f("d", new Pool(true, new int[] {2}, new int[0], Padding.SAME), null),
        f("e", new Flatten(), null),
        f("g", new Dense(9, false, null), null),
        f("h", null, ActKind.RELU),
        f("i", new Dropout(0), null),
        f("out", new Dense(4, true, null), ActKind.SIGMOID)), 2));
    // FuzzTest found: with Dropout carrying the last Softmax or Sigmoid, training applied the
    // activation twice (in the dropout and again in the loss). Rate 0 lets the oracle check it.
    d.add(new Declaration("DropoutSoftmaxLast", 1, 1, 3, List.of(
        f("h", new Dense(5, true, null), ActKind.TANH),
        f("logits", new Dense(4, true, null), null),
        f("out", new Dropout(0), ActKind.SOFTMAX)), 3));
    d.add(new Declaration("DropoutSigmoidLast", 2, 2, 1, List.of(
        f("c", conv(2, 1, 1, Padding.VALID), ActKind.TANH),
        f("out", new Dropout(0), ActKind.SIGMOID)), 4));
    // FuzzTest found: strides near Integer.MAX_VALUE made index literals that do not fit an int
    // ("integer number too large" in the generated code), SAME overflowed computing its output
    // size, and a global SAME pooling window looked unpadded and was unrolled until memory ran out.
    d.add(new Declaration("HugeStrides", 6, 7, 3, List.of(
        f("same", new Conv(3, new int[] {3}, new int[] {INT_MAX}, Padding.SAME, new int[0], true, null),
            ActKind.RELU),
        f("up", new Conv(4, new int[] {1}, new int[] {1}, Padding.VALID, new int[] {2}, true, null), null),
        f("valid", new Conv(2, new int[] {2}, new int[] {INT_MAX, 1_000_000_007}, Padding.VALID,
            new int[0], true, null), ActKind.TANH),
        f("global", new Pool(true, new int[] {INT_MAX}, new int[0], Padding.SAME), null),
        f("out", new Dense(3, true, null), ActKind.SOFTMAX)), 5));
    d.add(new Declaration("AllPadding", 6, 7, 3, List.of(
        // A stride of 1e9 and a pad of 1: the row step times the row length is beyond an int.
        f("c", new Conv(3, new int[] {2}, new int[] {1_000_000_007}, Padding.VALID, new int[] {1},
            true, null), ActKind.TANH),
        // Windows wholly in the padding: their output is the bias.
        f("p", new Conv(2, new int[] {1}, new int[] {100_000}, Padding.VALID, new int[] {100_000},
            true, null), ActKind.SIGMOID),
        f("avg", new Pool(false, new int[] {INT_MAX}, new int[0], Padding.SAME), null),
        f("out", new Dense(2, true, null), null)), 6));
    // FuzzTest found: a layer field named like a member of the generated class (parameters,
    // LAYERS) was hidden by it, and the generated constructor did not compile.
    d.add(new Declaration("HiddenNames", 4, 4, 1, List.of(
        f("parameters", conv(2, 3, 1, Padding.SAME), ActKind.RELU),
        f("LAYERS", new Pool(true, new int[] {2}, new int[0], Padding.VALID), null),
        f("x", new Dense(3, true, null), null),
        f("convBlock", new Dense(3, true, null), ActKind.TANH),
        f("conv_block", new Dense(2, true, null), null)), 7));
    checkAll(d, true, "whole networks and regressions");
  }
}
