package dev.kiln.processor;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Loss;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Compares a generated model with the {@link Oracle} of its declaration: layout, forward pass,
 * loss, prediction and every parameter gradient. Each check throws an AssertionError that says
 * what differs; callers add the declaration's source.
 */
final class OracleChecks {
  /** Float against double: a few units in the last place of the largest value involved. */
  static final double FORWARD_TOLERANCE = 2e-5;
  static final double GRADIENT_TOLERANCE = 1e-4;
  /**
   * Inputs whose ReLU pre-activations or max-pool runners-up come closer than this to the kink
   * are redrawn: there float and double may legitimately take different branches.
   */
  static final double MARGIN = 1e-4;

  private OracleChecks() {}

  /** The layout the oracle derives from the declaration against the model's constants. */
  static void layout(Model model, Oracle oracle) {
    List<String> problems = new ArrayList<>();
    expect(problems, "input shape", oracle.input.toString(), model.inputShape().toString());
    expect(problems, "output shape", oracle.output().toString(), model.outputShape().toString());
    expect(problems, "parameter count", oracle.parameterCount, model.parameterCount());
    expect(problems, "loss", oracle.loss, model.loss());
    List<Oracle.Layer> declared = oracle.layers.stream().filter(l -> !l.implicit).toList();
    expect(problems, "layer count", declared.size(), model.layers().size());
    for (int i = 0; i < Math.min(declared.size(), model.layers().size()); i++) {
      Oracle.Layer o = declared.get(i);
      Layer m = model.layers().get(i);
      String at = "layer " + o.name + ": ";
      expect(problems, at + "name", o.name, m.name());
      expect(problems, at + "input", o.in.toString(), m.inputShape().toString());
      expect(problems, at + "output", o.out.toString(), m.outputShape().toString());
      expect(problems, at + "weight shape", Arrays.toString(o.weightShape), Arrays.toString(m.weightShape()));
      if (o.weightCount > 0) {
        expect(problems, at + "weight offset", o.weightOffset, m.weightOffset());
      }
      expect(problems, at + "bias offset", o.biasOffset, m.biasOffset());
      expect(problems, at + "bias count", o.biasCount, m.biasCount());
    }
    if (!problems.isEmpty()) {
      throw new AssertionError("layout differs from the oracle's: " + String.join("; ", problems));
    }
  }

  private static void expect(List<String> problems, String what, Object expected, Object actual) {
    if (!expected.equals(actual)) {
      problems.add(what + " is " + actual + ", expected " + expected);
    }
  }

  /** Glorot-scaled random weights and random biases, so activations stay near 1. */
  static void randomParameters(Model model, SplittableRandom random) {
    float[] p = model.parameters();
    for (Layer layer : model.layers()) {
      int[] s = layer.weightShape();
      if (s.length > 0) {
        long fanIn = s.length == 4 ? (long) s[0] * s[1] * s[2] : s[0];
        long fanOut = s.length == 4 ? (long) s[0] * s[1] * s[3] : s[1];
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < layer.weightCount(); i++) {
          p[layer.weightOffset() + i] = (float) random.nextDouble(-limit, limit);
        }
      }
      for (int i = 0; i < layer.biasCount(); i++) {
        p[layer.biasOffset() + i] = (float) random.nextDouble(-0.5, 0.5);
      }
    }
  }

  static float[] randomInput(Model model, SplittableRandom random) {
    float[] x = new float[model.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    return x;
  }

  /** A target the loss accepts: one-hot for softmax, in [0, 1] for sigmoid, any for MSE. */
  static float[] randomTarget(Model model, SplittableRandom random) {
    float[] t = new float[model.outputSize()];
    if (model.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
      t[random.nextInt(t.length)] = 1;
    } else {
      for (int i = 0; i < t.length; i++) {
        t[i] = (float) random.nextDouble(model.loss() == Loss.MEAN_SQUARED_ERROR ? -1 : 0, 1);
      }
    }
    return t;
  }

  /**
   * predict, and layerOutput of every declared layer, against the oracle; returns the largest
   * difference relative to the output scale.
   */
  static double forward(Model model, Oracle oracle, float[] x) {
    Oracle.Trace trace = oracle.forward(model.parameters(), x, null);
    double worst = compare("predict output", trace.output(), model.predict(x), FORWARD_TOLERANCE, 0);
    int declared = 0;
    for (int i = 0; i < oracle.layers.size(); i++) {
      if (!oracle.layers.get(i).implicit) {
        Layer layer = model.layers().get(declared++);
        worst = Math.max(worst, compare("layerOutput(" + layer.name() + ") value", trace.post[i],
            model.layerOutput(x, layer), FORWARD_TOLERANCE, 0));
      }
    }
    return worst;
  }

  /**
   * {@code |actual - expected| <= tolerance * (1 + max |expected|) + relative * |expected|} for
   * every element; returns the largest difference over {@code 1 + max |expected|}.
   */
  static double compare(String what, double[] expected, float[] actual, double tolerance, double relative) {
    if (expected.length != actual.length) {
      throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
    }
    double scale = 1;
    for (double e : expected) {
      scale = Math.max(scale, 1 + Math.abs(e));
    }
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      double error = Math.abs(actual[i] - expected[i]);
      if (!(error <= tolerance * scale + relative * Math.abs(expected[i]))) {
        throw new AssertionError(
            what + " " + i + " is " + actual[i] + ", the oracle says " + expected[i] + " (difference "
                + error + ", allowed " + (tolerance * scale + relative * Math.abs(expected[i])) + ")");
      }
      worst = Math.max(worst, error / scale);
    }
    return worst;
  }

  /**
   * trainSample (no dropout, or rate 0) against the oracle: loss, prediction and every parameter
   * gradient; the parameters must not change. Returns the largest scaled gradient difference, or
   * -1 if no input away from the kinks was found.
   */
  static double gradients(Model model, Oracle oracle, SplittableRandom random) {
    float[] p = model.parameters();
    for (int attempt = 0; attempt < 20; attempt++) {
      float[] x = randomInput(model, random);
      float[] target = randomTarget(model, random);
      double[][] keepAll = new double[oracle.layers.size()][];
      for (int i = 0; i < keepAll.length; i++) {
        keepAll[i] = new double[oracle.layers.get(i).out.size()];
        Arrays.fill(keepAll[i], 1);
      }
      Oracle.Gradients expected = oracle.gradients(p, x, target, keepAll);
      if (expected.margin() < MARGIN) {
        continue;
      }
      float[] before = p.clone();
      float[] g = new float[p.length];
      float[] out = new float[model.outputSize()];
      float[] ws = new float[model.trainingWorkspaceSize()];
      float loss = model.trainSample(x, 0, target, 0, out, 0, g, ws, attempt);
      if (!Arrays.equals(before, p)) {
        throw new AssertionError("trainSample changed the parameters");
      }
      compare("trainSample loss", new double[] {expected.loss()}, new float[] {loss}, FORWARD_TOLERANCE, 1e-5);
      compare("trainSample prediction", expected.prediction(), out, FORWARD_TOLERANCE, 0);
      return compare("gradient of parameter", expected.parameters(), g, GRADIENT_TOLERANCE, 1e-4);
    }
    return -1;
  }

  /**
   * With dropout the masks come from the generated noise stream, which the oracle does not copy:
   * the gradients of up to {@code count} parameters are checked against central differences of
   * the generated loss at the same noise seed.
   */
  static int finiteDifferences(Model model, SplittableRandom random, int count) {
    float[] p = model.parameters();
    float[] x = randomInput(model, random);
    float[] target = randomTarget(model, random);
    float[] out = new float[model.outputSize()];
    float[] ws = new float[model.trainingWorkspaceSize()];
    float[] g = new float[p.length];
    long noise = random.nextLong();
    model.trainSample(x, 0, target, 0, out, 0, g, ws, noise);
    int checked = 0;
    for (int k = 0; k < Math.min(count, p.length); k++) {
      int i = count >= p.length ? k : random.nextInt(p.length);
      boolean agrees = false;
      String detail = "";
      // A step that crosses a ReLU or max-pool kink gives a wrong difference; a real error is
      // wrong at both step sizes.
      for (double step : new double[] {1e-3, 2.5e-4}) {
        double numeric = centralDifference(model, i, step, x, target, ws, noise);
        double error = Math.abs(numeric - g[i]);
        if (error <= 3e-3 + 3e-2 * Math.abs(numeric)) {
          agrees = true;
          break;
        }
        detail += " step " + step + ": numeric " + numeric;
      }
      if (!agrees) {
        throw new AssertionError(
            "gradient of parameter " + i + " is " + g[i] + " but finite differences say" + detail);
      }
      checked++;
    }
    return checked;
  }

  /**
   * The derivative of the generated loss with respect to parameter {@code i}, by a central
   * difference of {@code step} (measured between the float values actually set); the parameter
   * is restored.
   */
  static double centralDifference(
      Model model, int i, double step, float[] x, float[] target, float[] ws, long noise) {
    float[] p = model.parameters();
    float[] out = new float[model.outputSize()];
    float[] scratch = new float[p.length];
    float saved = p[i];
    p[i] = (float) (saved + step);
    double up = model.trainSample(x, 0, target, 0, out, 0, scratch, ws, noise);
    p[i] = (float) (saved - step);
    double down = model.trainSample(x, 0, target, 0, out, 0, scratch, ws, noise);
    p[i] = saved;
    return (up - down) / ((double) (float) (saved + step) - (float) (saved - step));
  }
}
