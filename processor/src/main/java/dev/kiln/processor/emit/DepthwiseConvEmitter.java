package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.ConvGeometry;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.Arrays;
import java.util.List;

/**
 * Depthwise convolution: output channel {@code o = c * M + m} sums input channel {@code c} under
 * filter {@code m}'s taps, weights {@code [kh, kw, in, M]}. A padded layer first copies its input
 * into a zero border (one {@code Kernels.pad}), so every window is an interior one and the loops
 * carry no bounds checks; the backward pass gathers the input gradient in a bordered buffer the
 * same way and copies its interior out.
 *
 * <p>Loops run tap by tap with the channels innermost, so each tap streams over a contiguous run
 * of input values, weights and outputs. The vector path ({@code Kernels.depthwiseConvolve},
 * {@code Kernels.depthwiseGradients}) runs the same loops over vectors of channels.
 */
record DepthwiseConvEmitter(Op.DepthwiseConv depthwise) implements JavaLayer {

  /** The layer's window over its input, as the convolution's vector path sees it too. */
  private ConvGeometry geometry(Node node) {
    return ConvGeometry.of(depthwise.window(), node.output().channels(), node.input(), node.output());
  }

  /**
   * Whether the windows read a bordered copy (or the input itself, unpadded): false for pads so
   * large that the copy would dwarf the layer, whose windows are clipped one tap at a time.
   */
  private static boolean bordered(ConvGeometry g) {
    return !g.w().padded()
        || 2L * ((long) g.paddedHeight() * g.paddedWidth() * g.in().channels())
            <= ConvGeometry.MAX_SCRATCH;
  }

  /** {@code rowStep, colStep, tapStep, kh, kw, channels, multiplier} of the windows. */
  private String windows(ConvGeometry g) {
    Window w = g.w();
    return (w.strideHeight() * g.inputRow()) + ", " + (w.strideWidth() * g.in().channels()) + ", "
        + g.inputRow() + ", " + w.kernelHeight() + ", " + w.kernelWidth() + ", "
        + g.in().channels() + ", " + depthwise.depthMultiplier();
  }

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    ConvGeometry g = geometry(node);
    int channels = g.in().channels();
    int outputs = g.out().channels();
    MethodSpec.Builder method = JavaLayer.forwardMethod(name, step, layout(step));
    CodeBlock activation = ActivationEmitter.fused(node, withActivation);
    if (bordered(g)) {
      addBorder(method, g, g.paddedSize());
      method
          .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
          .addStatement(
              "$T.depthwiseConvolve($L, $L, p, $L, p, $L, y, yo, $L, $L)", Names.KERNELS,
              ConvKernelCalls.source(g), windows(g), JavaLayer.weights(step), JavaLayer.biasArgument(step),
              g.out().height(),
              g.out().width())
          .addCode(activation)
          .addStatement("return")
          .endControlFlow();
    }
    String src = g.w().padded() && bordered(g) ? "s" : "x";
    method.beginControlFlow("for (int oh = 0; oh < $L; oh++)", g.out().height());
    method.beginControlFlow("for (int ow = 0; ow < $L; ow++)", g.out().width());
    method.addStatement(
        "int yb = $L", Ix.of("yo").plus("oh", (long) g.out().width() * outputs).plus("ow", outputs));
    if (bordered(g)) {
      method.addStatement("int xb = $L", windowStart(g));
    }
    method.beginControlFlow("for (int o = 0; o < $L; o++)", outputs);
    method.addStatement(
        "y[yb + o] = $L",
        step.biasOffset() >= 0 ? "p[" + JavaLayer.bias(step).plus("o") + "]" : "0f");
    method.endControlFlow();
    openTaps(method, g, step);
    method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    if (depthwise.depthMultiplier() == 1) {
      method.addStatement("y[yb + c] += $L[xt + c] * p[wt + c]", src);
    } else {
      method.addStatement("float v = $L[xt + c]", src);
      method.beginControlFlow("for (int m = 0; m < $L; m++)", depthwise.depthMultiplier());
      method.addStatement(
          "y[yb + c * $L + m] += v * p[wt + c * $L + m]", depthwise.depthMultiplier(), depthwise.depthMultiplier());
      method.endControlFlow();
    }
    method.endControlFlow();
    closeTaps(method);
    method.endControlFlow().endControlFlow();
    method.addCode(activation);
    return List.of(method.build());
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    ConvGeometry g = geometry(node);
    int channels = g.in().channels();
    int outputs = g.out().channels();
    boolean dx = training.computesInputGradient();
    MethodSpec.Builder method =
        JavaLayer.backwardMethod(
            step,
            "Adds kernel and bias gradients into g"
                + (dx ? "; writes the input gradient to dx." : "; no input gradient (first layer)."));
    method.addCode(ActivationEmitter.fusedDerivative(node, !training.lossActivation()));
    if (step.biasOffset() >= 0) {
      method.addComment("Bias gradient: each output channel's gradient summed over the pixels.");
      method.addStatement(
          "$T.biasGradient(d, dOff, $L, $L, g, $L)", Names.KERNELS,
          g.out().height() * g.out().width(), outputs, JavaLayer.bias(step));
    }
    // Scratch: the bordered input, then (padded, with dx) the bordered input gradient.
    int gradientAt = bordered(g) ? g.paddedSize() : 0;
    boolean borderedGradient = dx && g.w().padded() && bordered(g);
    if (bordered(g)) {
      addBorder(method, g, g.paddedSize() * (borderedGradient ? 2 : 1));
    }
    String target = borderedGradient ? "s" : "dx";
    String targetOffset = borderedGradient ? String.valueOf(gradientAt) : "dxo";
    if (dx) {
      method.addStatement(
          "$T.fill($L, $L, $L, 0f)", Arrays.class, target, targetOffset,
          Ix.of(targetOffset).plus(borderedGradient ? g.paddedSize() : g.in().size()));
    }
    if (bordered(g)) {
      method
          .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
          .addStatement(
              "$T.depthwiseGradients($L, $L, p, $L, d, dOff, $L, $L, g, $L, $L, $L)",
              Names.KERNELS, ConvKernelCalls.source(g), windows(g), JavaLayer.weights(step), g.out().height(),
              g.out().width(), JavaLayer.weights(step), dx ? target : "null", dx ? targetOffset : "0");
      if (borderedGradient) {
        addInterior(method, g, gradientAt);
      }
      method.addStatement("return").endControlFlow();
    }

    String src = g.w().padded() && bordered(g) ? "s" : "x";
    method.beginControlFlow("for (int oh = 0; oh < $L; oh++)", g.out().height());
    method.beginControlFlow("for (int ow = 0; ow < $L; ow++)", g.out().width());
    method.addStatement(
        "int db = $L",
        Ix.of("dOff").plus("oh", (long) g.out().width() * outputs).plus("ow", outputs));
    if (bordered(g)) {
      method.addStatement("int xb = $L", windowStart(g));
    }
    openTaps(method, g, step);
    method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    method.addStatement("float v = $L[xt + c]", src);
    if (depthwise.depthMultiplier() == 1) {
      method.addStatement("float dv = d[db + c]");
      method.addStatement("g[wt + c] += v * dv");
      if (dx) {
        method.addStatement("$L[$L + xt + c] += p[wt + c] * dv", target, gradientOffset(target, targetOffset));
      }
    } else {
      if (dx) {
        method.addStatement("float sum = 0f");
      }
      method.beginControlFlow("for (int m = 0; m < $L; m++)", depthwise.depthMultiplier());
      method.addStatement("float dv = d[db + c * $L + m]", depthwise.depthMultiplier());
      method.addStatement("g[wt + c * $L + m] += v * dv", depthwise.depthMultiplier());
      if (dx) {
        method.addStatement("sum += p[wt + c * $L + m] * dv", depthwise.depthMultiplier());
      }
      method.endControlFlow();
      if (dx) {
        method.addStatement("$L[$L + xt + c] += sum", target, gradientOffset(target, targetOffset));
      }
    }
    method.endControlFlow();
    closeTaps(method);
    method.endControlFlow().endControlFlow();
    if (borderedGradient) {
      addInterior(method, g, gradientAt);
    }
    return List.of(method.build());
  }

  @Override
  public CodeBlock initialize(Step step) {
    return JavaLayer.randomInitialization(step, depthwise.init(), depthwise.biasInit());
  }

  /**
   * Where the input gradient of window value {@code xt} goes, less {@code xt}: the bordered buffer
   * lines up with the bordered input; dx without a border lines up with x.
   */
  private static String gradientOffset(String target, String targetOffset) {
    return target.equals("dx") ? "dxo - xo" : targetOffset;
  }

  private static String layout(Step step) {
    Node node = step.node();
    return "Weights " + JavaLayer.range(step.weightOffset(), node.weightCount()) + " "
        + Arrays.toString(node.weightShape()) + " [kh, kw, in, multiplier]"
        + (step.biasOffset() >= 0
            ? ", bias " + JavaLayer.range(step.biasOffset(), node.biasCount())
            : ", no bias")
        + "; output channel c * " + node.weightShape()[3] + " + m is input channel c's filter m.";
  }

  /** The input copied into its zero border at {@code s[0..]} (padded layers), in scratch of {@code size}. */
  private static void addBorder(MethodSpec.Builder method, ConvGeometry g, int size) {
    if (!g.w().padded()) {
      return;
    }
    method.addComment(
        "The input in a zero border ($Lx$Lx$L), so every window lies inside it.",
        g.paddedHeight(), g.paddedWidth(), g.in().channels());
    method.addStatement("float[] s = $T.scratch($L)", Names.KERNELS, size);
    method.addStatement(
        "$T.pad(x, xo, $L, $L, $L, s, 0, $L, $L, $L, $L)", Names.KERNELS, g.in().height(),
        g.in().width(), g.in().channels(), g.w().padTop(), g.w().padLeft(), g.paddedHeight(),
        g.paddedWidth());
  }

  /** The bordered input gradient's interior rows copied to dx. */
  private static void addInterior(MethodSpec.Builder method, ConvGeometry g, int at) {
    int row = g.in().width() * g.in().channels();
    method.beginControlFlow("for (int r = 0; r < $L; r++)", g.in().height());
    method.addStatement(
        "$T.arraycopy(s, $L, dx, $L, $L)", System.class,
        Ix.constant((long) at + (long) g.w().padTop() * g.inputRow() + (long) g.w().padLeft() * g.in().channels())
            .plus("r", g.inputRow()),
        Ix.of("dxo").plus("r", row), row);
    method.endControlFlow();
  }

  /** Where the window of output pixel (oh, ow) starts in the array the windows read. */
  private static Ix windowStart(ConvGeometry g) {
    Ix start = g.w().padded() ? Ix.constant(0) : Ix.of("xo");
    return start
        .plus("oh", (long) g.w().strideHeight() * g.inputRow())
        .plus("ow", (long) g.w().strideWidth() * g.in().channels());
  }

  /**
   * Opens the tap loops: {@code xt} the tap's input, {@code wt} its weights. Clipped windows skip
   * the taps that fall into the padding.
   */
  private static void openTaps(MethodSpec.Builder method, ConvGeometry g, Step step) {
    int outputs = g.out().channels();
    Window w = g.w();
    method.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
    if (!bordered(g)) {
      method.addStatement("int ih = oh * $L + kh - $L", w.strideHeight(), w.padTop());
      method.beginControlFlow("if (ih < 0 || ih >= $L)", g.in().height());
      method.addStatement("continue").endControlFlow();
    }
    method.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
    if (bordered(g)) {
      method.addStatement(
          "int xt = $L", Ix.of("xb").plus("kh", g.inputRow()).plus("kw", g.in().channels()));
    } else {
      method.addStatement("int iw = ow * $L + kw - $L", w.strideWidth(), w.padLeft());
      method.beginControlFlow("if (iw < 0 || iw >= $L)", g.in().width());
      method.addStatement("continue").endControlFlow();
      method.addStatement(
          "int xt = $L",
          Ix.of("xo").plus("ih", (long) g.in().width() * g.in().channels()).plus("iw", g.in().channels()));
    }
    method.addStatement(
        "int wt = $L",
        JavaLayer.weights(step)
            .plus("kh", (long) g.w().kernelWidth() * outputs)
            .plus("kw", outputs));
  }

  private static void closeTaps(MethodSpec.Builder method) {
    method.endControlFlow().endControlFlow();
  }
}
