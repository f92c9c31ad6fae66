package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Conv2D. Output pixels whose window lies inside the input (the interior) run loops with literal
 * bounds and no checks; with padding, the pixels of the border go through a helper that clips
 * the window to the input. For each tap the innermost loop runs over output channels, which are
 * contiguous in both the HWIO kernel and the NHWC output; with few filters it is unrolled.
 */
final class ConvEmitter implements LayerEmitter {
  /** Output channel loops up to this many iterations are written out statement by statement. */
  static final int UNROLL_FILTERS = 8;

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    Op.Conv conv = (Op.Conv) node.op();
    Window w = conv.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int[] rows = interior(in.height(), out.height(), w.kernelHeight(), w.strideHeight(), w.padTop());
    int[] cols = interior(in.width(), out.width(), w.kernelWidth(), w.strideWidth(), w.padLeft());
    String edgeName = node.name() + "ForwardEdge";

    MethodSpec.Builder method =
        LayerEmitter.forwardMethod(
            name,
            step,
            "Kernel "
                + LayerEmitter.range(step.weightOffset(), node.weightCount())
                + " "
                + Arrays.toString(node.weightShape())
                + " HWIO"
                + (step.biasOffset() >= 0
                    ? ", bias " + LayerEmitter.range(step.biasOffset(), node.biasCount())
                    : ", no bias")
                + ".");
    boolean wholeInterior =
        rows[0] == 0 && rows[1] == out.height() && cols[0] == 0 && cols[1] == out.width();
    if (rows[0] < rows[1] && cols[0] < cols[1]) {
      if (wholeInterior) {
        method.addComment("Every window lies inside the input: no bounds checks.");
      } else {
        method.addComment(
            "Interior: output rows $L..$L, columns $L..$L read no padding.",
            rows[0], rows[1] - 1, cols[0], cols[1] - 1);
      }
      method.beginControlFlow("for (int oh = $L; oh < $L; oh++)", rows[0], rows[1]);
      method.beginControlFlow("for (int ow = $L; ow < $L; ow++)", cols[0], cols[1]);
      method.addStatement(
          "int yb = $L", Ix.of("yo").plus("oh", (long) out.width() * out.channels())
              .plus("ow", out.channels()));
      method.addStatement(
          "int xb = $L",
          Ix.of("xo")
              .plus("oh", (long) w.strideHeight() * in.width() * in.channels())
              .plus("ow", (long) w.strideWidth() * in.channels())
              .plus(-((long) w.padTop() * in.width() + w.padLeft()) * in.channels()));
      method.addCode(initOutput(step, conv));
      method.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
      method.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
      method.addStatement(
          "int xi = $L",
          Ix.of("xb").plus("kh", (long) in.width() * in.channels()).plus("kw", in.channels()));
      method.addCode(taps(step, conv, in));
      method.endControlFlow().endControlFlow();
      method.endControlFlow().endControlFlow();
    }
    List<MethodSpec> helpers = new ArrayList<>();
    if (!wholeInterior) {
      method.addComment("Border: windows that overlap the padding, clipped to the input.");
      String call = edgeName + "(p, x, xo, y, yo, oh, ow)";
      if (rows[0] >= rows[1] || cols[0] >= cols[1]) {
        loops(method, 0, out.height(), 0, out.width(), call);
      } else {
        loops(method, 0, rows[0], 0, out.width(), call);
        loops(method, rows[1], out.height(), 0, out.width(), call);
        loops(method, rows[0], rows[1], 0, cols[0], call);
        loops(method, rows[0], rows[1], cols[1], out.width(), call);
      }
      helpers.add(edge(edgeName, step, conv, in, out));
    }
    if (withActivation) {
      node.activation()
          .ifPresent(
              a ->
                  method.addCode(
                      ActivationEmitter.apply(a, "y", "yo", "y", "yo", (int) out.size())));
    }
    List<MethodSpec> methods = new ArrayList<>();
    methods.add(method.build());
    methods.addAll(helpers);
    return methods;
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    Op.Conv conv = (Op.Conv) node.op();
    Window w = conv.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    boolean dx = training.computesInputGradient();
    int[] rows = interior(in.height(), out.height(), w.kernelHeight(), w.strideHeight(), w.padTop());
    int[] cols = interior(in.width(), out.width(), w.kernelWidth(), w.strideWidth(), w.padLeft());
    boolean wholeInterior =
        rows[0] == 0 && rows[1] == out.height() && cols[0] == 0 && cols[1] == out.width();
    String edgeName = node.name() + "BackwardEdge";

    MethodSpec.Builder method =
        LayerEmitter.backwardMethod(
            step,
            "Adds kernel and bias gradients into g"
                + (dx ? "; writes the input gradient to dx." : "; no input gradient (first layer)."));
    if (!training.lossActivation()) {
      node.activation()
          .ifPresent(
              a -> method.addCode(ActivationEmitter.derivative(a, "y", "yo", "d", "dOff", (int) out.size())));
    }
    if (dx) {
      method.addStatement("$T.fill(dx, dxo, dxo + $L, 0f)", java.util.Arrays.class, in.size());
      method.addStatement("int shift = dxo - xo");
    }
    if (rows[0] < rows[1] && cols[0] < cols[1]) {
      method.beginControlFlow("for (int oh = $L; oh < $L; oh++)", rows[0], rows[1]);
      method.beginControlFlow("for (int ow = $L; ow < $L; ow++)", cols[0], cols[1]);
      method.addStatement(
          "int zb = $L",
          Ix.of("dOff").plus("oh", (long) out.width() * out.channels()).plus("ow", out.channels()));
      method.addStatement(
          "int xb = $L",
          Ix.of("xo")
              .plus("oh", (long) w.strideHeight() * in.width() * in.channels())
              .plus("ow", (long) w.strideWidth() * in.channels())
              .plus(-((long) w.padTop() * in.width() + w.padLeft()) * in.channels()));
      method.addCode(biasGradient(step, conv));
      method.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
      method.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
      method.addStatement(
          "int xi = $L",
          Ix.of("xb").plus("kh", (long) in.width() * in.channels()).plus("kw", in.channels()));
      method.addCode(tapGradients(step, conv, in, dx));
      method.endControlFlow().endControlFlow();
      method.endControlFlow().endControlFlow();
    }
    List<MethodSpec> methods = new java.util.ArrayList<>();
    if (!wholeInterior) {
      String call = edgeName + "(p, x, xo, d, dOff, dx, dxo, g, oh, ow)";
      if (rows[0] >= rows[1] || cols[0] >= cols[1]) {
        loops(method, 0, out.height(), 0, out.width(), call);
      } else {
        loops(method, 0, rows[0], 0, out.width(), call);
        loops(method, rows[1], out.height(), 0, out.width(), call);
        loops(method, rows[0], rows[1], 0, cols[0], call);
        loops(method, rows[0], rows[1], cols[1], out.width(), call);
      }
    }
    methods.add(method.build());
    if (!wholeInterior) {
      MethodSpec.Builder edge =
          MethodSpec.methodBuilder(edgeName)
              .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
              .addJavadoc(
                  "Gradients of one $L output pixel whose window overlaps the padding.\n",
                  node.name())
              .addParameter(float[].class, "p")
              .addParameter(float[].class, "x")
              .addParameter(int.class, "xo")
              .addParameter(float[].class, "d")
              .addParameter(int.class, "dOff")
              .addParameter(float[].class, "dx")
              .addParameter(int.class, "dxo")
              .addParameter(float[].class, "g")
              .addParameter(int.class, "oh")
              .addParameter(int.class, "ow");
      if (dx) {
        edge.addStatement("int shift = dxo - xo");
      }
      edge.addCode(clippedWindow(w, in));
      edge.addStatement(
          "int zb = $L",
          Ix.of("dOff").plus("oh", (long) out.width() * out.channels()).plus("ow", out.channels()));
      edge.addCode(biasGradient(step, conv));
      edge.beginControlFlow("for (int kh = khFrom; kh < khTo; kh++)");
      edge.beginControlFlow("for (int kw = kwFrom; kw < kwTo; kw++)");
      edge.addStatement(
          "int xi = $L",
          Ix.of("xo")
              .plus("(ih0 + kh)", (long) in.width() * in.channels())
              .plus("(iw0 + kw)", in.channels()));
      edge.addCode(tapGradients(step, conv, in, dx));
      edge.endControlFlow().endControlFlow();
      methods.add(edge.build());
    }
    return methods;
  }

  private static CodeBlock biasGradient(Step step, Op.Conv conv) {
    CodeBlock.Builder code = CodeBlock.builder();
    if (step.biasOffset() >= 0) {
      code.beginControlFlow("for (int f = 0; f < $L; f++)", conv.filters());
      code.addStatement("g[$L] += d[zb + f]", Ix.constant(step.biasOffset()).plus("f"));
      code.endControlFlow();
    }
    return code.build();
  }

  /** Kernel gradients of one tap at {@code x[xi..]}, and its share of the input gradient. */
  private static CodeBlock tapGradients(Step step, Op.Conv conv, TensorShape in, boolean dx) {
    Window w = conv.window();
    int filters = conv.filters();
    int channels = in.channels();
    CodeBlock.Builder code = CodeBlock.builder();
    code.addStatement(
        "int ki = $L",
        Ix.constant(step.weightOffset())
            .plus("kh", (long) w.kernelWidth() * channels * filters)
            .plus("kw", (long) channels * filters));
    code.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    code.addStatement("float xv = x[xi + c]");
    code.addStatement("int kc = $L", Ix.of("ki").plus("c", filters));
    if (dx) {
      code.addStatement("float sum = 0f");
    }
    code.beginControlFlow("for (int f = 0; f < $L; f++)", filters);
    code.addStatement("float dv = d[zb + f]");
    code.addStatement("g[kc + f] += xv * dv");
    if (dx) {
      code.addStatement("sum += p[kc + f] * dv");
    }
    code.endControlFlow();
    if (dx) {
      code.addStatement("dx[xi + shift + c] += sum");
    }
    code.endControlFlow();
    return code.build();
  }

  /**
   * The output positions {@code [from, to)} along one axis whose window reads no padding: {@code
   * o * stride - pad >= 0} and {@code o * stride - pad + kernel <= n}.
   */
  static int[] interior(int n, int outputs, int kernel, int stride, int padBefore) {
    int from = (padBefore + stride - 1) / stride;
    int to = n + padBefore - kernel < 0 ? 0 : (n + padBefore - kernel) / stride + 1;
    to = Math.min(to, outputs);
    return new int[] {from, Math.max(from, to)};
  }

  /**
   * Declares {@code ih0, iw0} (the window's top-left input cell, possibly in the padding) and the
   * tap ranges {@code [khFrom, khTo) x [kwFrom, kwTo)} that fall inside the input, for output
   * pixel {@code (oh, ow)}.
   */
  static CodeBlock clippedWindow(Window w, TensorShape in) {
    return CodeBlock.builder()
        .addStatement("int ih0 = $L", Ix.of("oh", w.strideHeight()).plus(-w.padTop()))
        .addStatement("int iw0 = $L", Ix.of("ow", w.strideWidth()).plus(-w.padLeft()))
        .addStatement("int khFrom = Math.max(0, -ih0)")
        .addStatement("int khTo = Math.min($L, $L - ih0)", w.kernelHeight(), in.height())
        .addStatement("int kwFrom = Math.max(0, -iw0)")
        .addStatement("int kwTo = Math.min($L, $L - iw0)", w.kernelWidth(), in.width())
        .build();
  }

  private static void loops(
      MethodSpec.Builder method, int rowFrom, int rowTo, int colFrom, int colTo, String call) {
    if (rowFrom >= rowTo || colFrom >= colTo) {
      return;
    }
    method.beginControlFlow("for (int oh = $L; oh < $L; oh++)", rowFrom, rowTo);
    method.beginControlFlow("for (int ow = $L; ow < $L; ow++)", colFrom, colTo);
    method.addStatement(call);
    method.endControlFlow().endControlFlow();
  }

  /** One border pixel: the window clipped to the input rows and columns. */
  private static MethodSpec edge(
      String name, Step step, Op.Conv conv, TensorShape in, TensorShape out) {
    Window w = conv.window();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(name)
            .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
            .addJavadoc(
                "One output pixel of $L whose window overlaps the padding; padded taps are"
                    + " skipped.\n",
                step.node().name())
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo")
            .addParameter(int.class, "oh")
            .addParameter(int.class, "ow");
    method.addCode(clippedWindow(w, in));
    method.addStatement(
        "int yb = $L",
        Ix.of("yo").plus("oh", (long) out.width() * out.channels()).plus("ow", out.channels()));
    method.addCode(initOutput(step, conv));
    method.beginControlFlow("for (int kh = khFrom; kh < khTo; kh++)");
    method.beginControlFlow("for (int kw = kwFrom; kw < kwTo; kw++)");
    method.addStatement(
        "int xi = $L",
        Ix.of("xo")
            .plus("(ih0 + kh)", (long) in.width() * in.channels())
            .plus("(iw0 + kw)", in.channels()));
    method.addCode(taps(step, conv, in));
    method.endControlFlow().endControlFlow();
    return method.build();
  }

  /** {@code y[yb + f]} starts at the bias (or zero). */
  private static CodeBlock initOutput(Step step, Op.Conv conv) {
    CodeBlock.Builder code = CodeBlock.builder();
    int filters = conv.filters();
    String value = step.biasOffset() >= 0 ? "p[" + step.biasOffset() + " + f]" : "0f";
    if (filters <= UNROLL_FILTERS) {
      for (int f = 0; f < filters; f++) {
        String v = step.biasOffset() >= 0 ? "p[" + (step.biasOffset() + f) + "]" : "0f";
        code.addStatement("y[$L] = $L", Ix.of("yb").plus(f), v);
      }
    } else {
      code.beginControlFlow("for (int f = 0; f < $L; f++)", filters);
      code.addStatement("y[yb + f] = $L", value);
      code.endControlFlow();
    }
    return code.build();
  }

  /** Accumulates one window tap at {@code x[xi..]} over all input and output channels. */
  private static CodeBlock taps(Step step, Op.Conv conv, TensorShape in) {
    Window w = conv.window();
    int filters = conv.filters();
    int channels = in.channels();
    CodeBlock.Builder code = CodeBlock.builder();
    code.addStatement(
        "int ki = $L",
        Ix.constant(step.weightOffset())
            .plus("kh", (long) w.kernelWidth() * channels * filters)
            .plus("kw", (long) channels * filters));
    if (channels > 1) {
      code.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
      code.addStatement("float xv = x[xi + c]");
      code.addStatement("int kc = $L", Ix.of("ki").plus("c", filters));
    } else {
      code.addStatement("float xv = x[xi]");
      code.addStatement("int kc = ki");
    }
    if (filters <= UNROLL_FILTERS) {
      for (int f = 0; f < filters; f++) {
        code.addStatement(
            "y[$L] += xv * p[$L]", Ix.of("yb").plus(f), Ix.of("kc").plus(f));
      }
    } else {
      code.beginControlFlow("for (int f = 0; f < $L; f++)", filters);
      code.addStatement("y[yb + f] += xv * p[kc + f]");
      code.endControlFlow();
    }
    if (channels > 1) {
      code.endControlFlow();
    }
    return code.build();
  }
}
