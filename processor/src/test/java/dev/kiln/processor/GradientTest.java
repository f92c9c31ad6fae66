package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Loss;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.tools.JavaFileObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generated backward passes against central finite differences of the generated loss, for every
 * layer kind, padding mode, non-unit strides, every activation and the three losses. Inputs are
 * random, so ties in max pooling and ReLU kinks are improbable; every parameter is checked.
 */
class GradientTest {
  static final double STEP = 1e-3;
  static final double ABSOLUTE = 2e-3;
  static final double RELATIVE = 2e-2;

  /**
   * A network to check, and the step of its finite differences: {@link #STEP}, larger where the
   * forward pass's rounding would swamp the slope over that step (see WinogradLargeBlocks).
   */
  record Net(String name, String input, Loss loss, double step, String... layers) {
    Net(String name, String input, Loss loss, String... layers) {
      this(name, input, loss, STEP, layers);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Net> networks() {
    return List.of(
        new Net("ConvValidTanh", "height = 5, width = 4, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 2) @Tanh Layer c;",
            "@Dense(units = 4) @Softmax Layer out;"),
        new Net("ConvSameStride2", "height = 7, width = 6, channels = 1", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 3, stride = 2, padding = Padding.SAME) @Sigmoid Layer c;",
            "@Conv2D(filters = 3, kernel = {2, 3}, padding = Padding.SAME, bias = false) @Tanh Layer c2;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("ConvPadLeaky", "height = 5, width = 5, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = {3, 2}, stride = {2, 1}, pad = {1, 2}) @LeakyReLU(alpha = 0.1) Layer c;",
            "@Flatten Layer f;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("UnevenPads", "height = 8, width = 8, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 3, stride = 2, pad = {1, 0, 1, 0}) @Tanh Layer c;",
            "@MaxPool(size = 3, stride = 2, pad = {1, 0, 1, 0}) Layer p;",
            "@AvgPool(size = 2, stride = 1, pad = {0, 1, 1, 0}) Layer a;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("MaxPools", "height = 6, width = 7, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 2) @Tanh Layer c;",
            "@MaxPool(size = 2) Layer p;",
            "@MaxPool(size = 2, stride = 1, padding = Padding.SAME) Layer q;",
            "@Dense(units = 3) @Softmax Layer out;"),
        // 19 channels: the vector path's max-pool backward (16 or more), with a masked tail and
        // overlapping windows (stride 1).
        new Net("WideMaxPools", "height = 5, width = 6, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 19, kernel = 2) @Tanh Layer c;",
            "@MaxPool(size = 2, stride = 1) Layer p;",
            "@MaxPool(size = 2) Layer q;",
            "@Dense(units = 3) @Softmax Layer out;"),
        // Winograd F(2x2, 3x3) for c2's forward pass, kernel gradient and input gradient (32 channels
        // in and out, activations that outweigh the weights), on odd sizes (blocks past the edge);
        // the average keeps the logits small enough for finite differences.
        new Net("WinogradSized", "height = 9, width = 9, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 32, kernel = 1) @Tanh Layer c1;",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) Layer c2;",
            "@GlobalAvgPool Layer g;",
            "@Dense(units = 3) @Softmax Layer out;"),
        // Winograd F(4x4, 3x3) for c2's forward pass and input gradient (F(2x2, 3x3) for its kernel
        // gradient): 13x13 outputs, 16 blocks of 4x4 whose last row and column run past the edge.
        // Step 1e-2: their rounding (about 1e-6 of the products' magnitudes, ten times F(2x2, 3x3)'s,
        // the forward pass's bound in KernelsTest) moves the loss by a few 1e-6 from one evaluation
        // to the next, a few 1e-3 of slope over a step of 1e-3; the net is smooth (Tanh, an
        // average), so the larger step costs nothing in curvature.
        new Net("WinogradLargeBlocks", "height = 13, width = 13, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY, 1e-2,
            "@Conv2D(filters = 32, kernel = 1) @Tanh Layer c1;",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) Layer c2;",
            "@GlobalAvgPool Layer g;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("AvgPools", "height = 7, width = 5, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 2) Layer c;",
            "@AvgPool(size = 3, stride = 2, padding = Padding.SAME) @Tanh Layer p;",
            "@AvgPool(size = 2, stride = 1) Layer q;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("GlobalAvgPooled", "height = 4, width = 5, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 2) @Tanh Layer c;",
            "@GlobalAvgPool Layer g;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("LeNetLike", "height = 8, width = 8, channels = 1", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;",
            "@MaxPool(size = 2) Layer s2;",
            "@Conv2D(filters = 3, kernel = 2) @ReLU Layer c3;",
            "@Dense(units = 6) Layer f5;",
            "@ReLU Layer relu;",
            "@Dropout(rate = 0.25) Layer drop;",
            "@Dense(units = 4) Layer logits;",
            "@Softmax Layer out;"),
        new Net("MeanSquared", "height = 1, width = 1, channels = 3", Loss.MEAN_SQUARED_ERROR,
            "@Dense(units = 5) @Tanh Layer h;",
            "@Dense(units = 4) @LeakyReLU(alpha = 0.3) Layer h2;",
            "@Dense(units = 2) Layer out;"),
        new Net("SigmoidOutput", "height = 1, width = 1, channels = 2", Loss.SIGMOID_CROSS_ENTROPY,
            "@Dense(units = 4) @Tanh Layer h;",
            "@Dense(units = 2) @Sigmoid Layer out;"),
        new Net("SigmoidField", "height = 2, width = 2, channels = 1", Loss.SIGMOID_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 1) @Tanh Layer c;",
            "@Dense(units = 1) Layer d;",
            "@Sigmoid Layer out;"),
        new Net("WideConvBlocks", "height = 4, width = 5, channels = 3", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 19, kernel = 2, padding = Padding.SAME) @Tanh Layer c;",
            "@Conv2D(filters = 32, kernel = 3, stride = 2, pad = 1) @Sigmoid Layer c2;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("TanhOutputMse", "height = 3, width = 3, channels = 1", Loss.MEAN_SQUARED_ERROR,
            "@Conv2D(filters = 2, kernel = 2) @Sigmoid Layer c;",
            "@Dense(units = 3) @Tanh Layer out;"),
        // Graphs: a layer read twice sums the gradients of its readers.
        new Net("ResidualBlock", "height = 5, width = 5, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) @Tanh Layer stem;",
            "@Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) @Tanh Layer a;",
            "@Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) Layer b;",
            "@Add @From({\"b\", \"stem\"}) @Tanh Layer sum;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("ProjectedShortcutOfThree", "height = 6, width = 6, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) @Tanh Layer stem;",
            "@Conv2D(filters = 4, kernel = 3, stride = 2, padding = Padding.SAME) @Tanh Layer a;",
            "@Conv2D(filters = 4, kernel = 1, stride = 2) @From(\"stem\") Layer projection;",
            "@AvgPool(size = 2) @From(\"stem\") Layer pooled;",
            "@Conv2D(filters = 4, kernel = 1) Layer widened;",
            "@Add @From({\"a\", \"projection\", \"widened\"}) @Tanh Layer sum;",
            "@GlobalAvgPool Layer gap;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("InceptionConcat", "height = 6, width = 6, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) @Tanh Layer stem;",
            "@Conv2D(filters = 2, kernel = 1) @Tanh Layer b1;",
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) @Tanh @From(\"stem\") Layer b2;",
            "@MaxPool(size = 3, stride = 1, padding = Padding.SAME) @From(\"stem\") Layer b3;",
            "@Concat @From({\"b1\", \"b2\", \"b3\"}) Layer merged;",
            "@Conv2D(filters = 2, kernel = 2, stride = 2) @Sigmoid Layer c;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("BranchesFromTheInput", "height = 4, width = 4, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 1) @Tanh Layer a;",
            "@Concat @From({From.INPUT, \"a\"}) Layer cat;",
            "@Conv2D(filters = 3, kernel = 2) Layer c;",
            "@Tanh @From(\"c\") Layer t;",
            "@Dropout(rate = 0.3) @From(\"c\") Layer dropped;",
            "@Add @From({\"t\", \"dropped\", \"t\"}) Layer twice;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("DeadBranch", "height = 3, width = 3, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 2) @Tanh Layer a;",
            "@Dense(units = 4) @From(\"a\") Layer unused;", // its gradients are zero
            "@Dense(units = 3) @From(\"a\") @Softmax Layer out;"),
        new Net("DenseResidualSoftmaxOnAdd", "height = 2, width = 2, channels = 1", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Flatten Layer f;",
            "@Dense(units = 4) @Tanh Layer h;",
            "@Dense(units = 4) @Tanh @From(\"f\") Layer h2;",
            "@Concat @From({\"h\", \"h2\"}) Layer both;",
            "@Dense(units = 3) Layer left;",
            "@Dense(units = 3) @From(\"h\") Layer right;",
            "@Add @From({\"left\", \"right\"}) @Softmax Layer out;"),
        // Depthwise: SAME, explicit pad with stride, a multiplier; ten channels (a full vector and
        // a masked tail) and a multiplier of nine (a vector of filters per channel, broadcast).
        new Net("Depthwise", "height = 6, width = 5, channels = 3", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 10, kernel = 1) Layer c;",
            "@DepthwiseConv2D(kernel = 3, padding = Padding.SAME) @ReLU Layer dw;",
            "@DepthwiseConv2D(kernel = {2, 3}, stride = 2, pad = 1, depthMultiplier = 2) @Tanh Layer dw2;",
            "@Dense(units = 3) @Softmax Layer out;"),
        // A pad so large that the bordered copy would dwarf the layer: its windows are clipped.
        new Net("DepthwiseClipped", "height = 2, width = 2, channels = 2", Loss.SOFTMAX_CROSS_ENTROPY,
            "@Conv2D(filters = 2, kernel = 1) Layer c;",
            "@DepthwiseConv2D(kernel = 2, stride = 3000, pad = 3000) @Tanh Layer dw;",
            "@Dense(units = 3) @Softmax Layer out;"),
        new Net("DepthwiseMultiplied", "height = 4, width = 4, channels = 2", Loss.MEAN_SQUARED_ERROR,
            "@DepthwiseConv2D(kernel = 2, depthMultiplier = 9, bias = false) @Tanh Layer dw;",
            "@DepthwiseConv2D(kernel = 2, stride = {1, 2}) Layer dw2;",
            "@Dense(units = 2) Layer out;"));
  }

  static final CompiledNets COMPILED = new CompiledNets(GradientTest::networks, 11);

  static Model compiled(Net net) {
    return COMPILED.model(net);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void backwardMatchesFiniteDifferences(Net net) {
    Model model = compiled(net);
    assertEquals(net.loss(), model.loss());
    SplittableRandom random = new SplittableRandom(net.name().hashCode());
    float[] p = model.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) random.nextDouble(-0.8, 0.8);
    }
    float[] x = new float[model.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    float[] target = new float[model.outputSize()];
    if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
      target[random.nextInt(target.length)] = 1;
    } else {
      for (int i = 0; i < target.length; i++) {
        target[i] = (float) random.nextDouble(net.loss() == Loss.MEAN_SQUARED_ERROR ? -1 : 0, 1);
      }
    }
    float[] ws = new float[model.trainingWorkspaceSize()];
    float[] out = new float[model.outputSize()];
    float[] analytic = new float[p.length];
    long noise = 42;
    model.trainSample(x, 0, target, 0, out, 0, analytic, ws, noise);

    double worst = 0;
    for (int i = 0; i < p.length; i++) {
      double numeric = OracleChecks.centralDifference(model, i, net.step(), x, target, ws, noise);
      double error = Math.abs(numeric - analytic[i]);
      worst = Math.max(worst, error);
      assertTrue(
          error <= ABSOLUTE + RELATIVE * Math.abs(numeric),
          net + ": parameter " + i + " analytic " + analytic[i] + ", numeric " + numeric);
    }
    System.out.println(
        "GradientTest " + net + ": " + p.length + " parameters, largest difference " + worst);
  }
}
