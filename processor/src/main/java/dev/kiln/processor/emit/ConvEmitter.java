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
 * Conv2D, forward and backward.
 *
 * <p>Output channels are computed in register blocks: a block of up to 16 channels (8 when there
 * are more than 16, looped) is accumulated in local variables {@code a0, a1, ...} over every tap
 * of the window and stored once, so the inner loop does one load of the kernel per multiply-add
 * instead of a load and a store of the output.
 *
 * <p>Output pixels whose window lies inside the input (the interior) run loops with literal
 * bounds and no checks; with padding, the pixels of the border go through a helper that clips
 * the window to the input.
 *
 * <p>Backward computes the kernel gradient tap by tap, summing over the output pixels that tap
 * reaches in registers (no read-modify-write of the gradient in the inner loop), and the input
 * gradient pixel by pixel from output gradients held in registers, with the sum over channels as
 * a balanced tree so it does not wait on one long chain of additions.
 */
record ConvEmitter(Op.Conv conv) implements JavaLayer {
  /** Up to this many output channels are accumulated in one unrolled block. */
  static final int MAX_BLOCK = 16;
  /** Above {@link #MAX_BLOCK}, channels go in a loop over blocks of this width. */
  static final int BLOCK = 8;

  /**
   * A register block of output channels: {@code width} channels from {@code start}, where {@code
   * start} is a literal or the loop variable {@code fb}.
   */
  record Block(String start, int width) {}

  /** The blocks of {@code filters} channels; a looped block has start {@code "fb"}. */
  static List<Block> blocks(int filters) {
    if (filters <= MAX_BLOCK) {
      return List.of(new Block("0", filters));
    }
    List<Block> blocks = new ArrayList<>();
    blocks.add(new Block("fb", BLOCK));
    if (filters % BLOCK != 0) {
      blocks.add(new Block(String.valueOf(filters - filters % BLOCK), filters % BLOCK));
    }
    return blocks;
  }

  /** Opens the loop over full blocks if {@code block} is the looped one. */
  private static void openBlock(CodeBlock.Builder code, Block block, int filters) {
    if (block.start().equals("fb")) {
      code.beginControlFlow(
          "for (int fb = 0; fb < $L; fb += $L)", filters - filters % BLOCK, BLOCK);
    }
  }

  private static void closeBlock(CodeBlock.Builder code, Block block) {
    if (block.start().equals("fb")) {
      code.endControlFlow();
    }
  }

  /** {@code base + start + j}, folding literal starts. */
  private static Ix at(Ix base, Block block, int j) {
    return block.start().equals("fb") ? base.plus("fb").plus(j) : base.plus(Integer.parseInt(block.start()) + j);
  }

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    Window w = conv.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    MethodSpec.Builder method = JavaLayer.forwardMethod(name, step, layout(step, node));
    if (ConvKernelCalls.supports(conv, node)) {
      method.addCode(
          ConvKernelCalls.forward(step, conv, ActivationEmitter.fused(node, withActivation)));
    }
    List<MethodSpec> methods = new ArrayList<>();
    MethodSpec edge =
        pixels(
            method, node, w, in, out, "yb", "yo",
            clipped -> outputPixel(step, conv, in, clipped),
            node.name() + "ForwardEdge",
            "One output pixel of $L whose window overlaps the padding; padded taps are skipped.",
            List.of(
                param(float[].class, "p"), param(float[].class, "x"), param(int.class, "xo"),
                param(float[].class, "y"), param(int.class, "yo")));
    if (edge != null) {
      methods.add(edge);
    }
    method.addCode(ActivationEmitter.fused(node, withActivation));
    methods.add(0, method.build());
    return methods;
  }

  @Override
  public List<MethodSpec> tileInference(Step step) {
    Node node = step.node();
    MethodSpec.Builder method =
        JavaLayer.tileMethod(JavaLayer.tileName(step))
            .addJavadoc(
                "$L over a tile: samples k < n at {@code x[xo + k * xStride..]} and {@code y[yo + k *"
                    + " yStride..]}.\n", JavaLayer.forwardName(step))
            .addJavadoc(
                "Its weights outweigh a sample's output: on the vector path one matrix product"
                    + " reads them once per tile.\n");
    if (ConvKernelCalls.supports(conv, node)) {
      CodeBlock activation =
          node.activation().isPresent()
              ? ActivationEmitter.apply(node.activation().get(), "y", "ys", "y", "ys", (int) node.output().size())
              : CodeBlock.builder().build();
      method.addCode(ConvKernelCalls.tileForward(step, conv, activation));
    }
    method.beginControlFlow("for (int k = 0; k < n; k++)");
    method.addStatement("$N(p, x, xo + k * xStride, y, yo + k * yStride)", JavaLayer.forwardName(step));
    method.endControlFlow();
    return List.of(method.build());
  }

  /** Accumulates output pixel {@code yb} block by block in registers, then stores it. */
  private static CodeBlock outputPixel(Step step, Op.Conv conv, TensorShape in, boolean clipped) {
    Window w = conv.window();
    int filters = conv.filters();
    int channels = in.channels();
    CodeBlock.Builder code = CodeBlock.builder();
    for (Block block : blocks(filters)) {
      openBlock(code, block, filters);
      for (int j = 0; j < block.width(); j++) {
        code.addStatement(
            "float a$L = $L", j,
            step.biasOffset() >= 0 ? "p[" + at(JavaLayer.bias(step), block, j) + "]" : "0f");
      }
      openTaps(code, w, clipped);
      code.addStatement("int xi = $L", tapInput(w, in, clipped));
      code.addStatement("int ki = $L", kernelTap(step, w, channels, filters, block));
      if (channels > 1) {
        code.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
        code.addStatement("float xv = x[xi + c]");
        code.addStatement("int kc = $L", Ix.of("ki").plus("c", filters));
      } else {
        code.addStatement("float xv = x[xi]");
        code.addStatement("int kc = ki");
      }
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("a$L += xv * p[$L]", j, Ix.of("kc").plus(j));
      }
      if (channels > 1) {
        code.endControlFlow();
      }
      code.endControlFlow().endControlFlow();
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("y[$L] = a$L", at(Ix.of("yb"), block, j), j);
      }
      closeBlock(code, block);
    }
    return code.build();
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    Window w = conv.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    boolean dx = training.computesInputGradient();
    MethodSpec.Builder method =
        JavaLayer.backwardMethod(
            step,
            "Adds kernel and bias gradients into g"
                + (dx ? "; writes the input gradient to dx." : "; no input gradient (first layer)."));
    method.addCode(ActivationEmitter.fusedDerivative(node, !training.lossActivation()));
    List<MethodSpec> methods = new ArrayList<>();
    methods.add(null);
    if (step.biasOffset() >= 0) {
      method.addCode(biasGradient(step, conv, out));
    }
    if (ConvKernelCalls.supports(conv, node)) {
      method.addCode(ConvKernelCalls.backward(step, conv, dx));
    }
    method.addStatement("$L(x, xo, d, dOff, g)", node.name() + "KernelGradient");
    methods.add(kernelGradient(step, conv, in, out));
    if (dx) {
      methods.addAll(inputGradient(step, conv, in, out, method));
    }
    methods.set(0, method.build());
    return methods;
  }

  /**
   * {@code <o>From} and {@code <o>To}: the outputs {@code o} whose tap {@code k} reads a row or
   * column of the input, {@code o * stride - pad + k} in {@code [0, size)}; with unit stride the
   * divisions drop out.
   */
  private static void addTapRange(
      MethodSpec.Builder method, String o, String k, int pad, int stride, int size, int outputs) {
    if (stride == 1) {
      method.addStatement("int $LFrom = $T.max(0, $L - $L)", o, Math.class, pad, k);
      method.addStatement("int $LTo = $T.min($L, $L - $L)", o, Math.class, outputs, size + pad, k);
    } else {
      method.addStatement(
          "int $LFrom = $T.max(0, -$T.floorDiv($L - $L, $L))", o, Math.class, Math.class, k, pad, stride);
      method.addStatement(
          "int $LTo = $T.min($L, $T.floorDiv($L - $L, $L) + 1)", o, Math.class, outputs, Math.class,
          size - 1 + pad, k, stride);
    }
  }

  /** {@code g[bias + f] += sum over pixels of d[pixel, f]}, each filter summed in pixel order. */
  private static CodeBlock biasGradient(Step step, Op.Conv conv, TensorShape out) {
    return CodeBlock.builder()
        .add("// Bias gradient: each filter's output gradient summed over the pixels.\n")
        .addStatement(
            "$T.biasGradient(d, dOff, $L, $L, g, $L)", Names.KERNELS,
            out.height() * out.width(), conv.filters(), JavaLayer.bias(step))
        .build();
  }

  /**
   * The kernel gradient, tap by tap: for tap (kh, kw) and input channel c, the output pixels the
   * tap reaches are summed in registers, then added into g once.
   */
  private static MethodSpec kernelGradient(
      Step step, Op.Conv conv, TensorShape in, TensorShape out) {
    Window w = conv.window();
    int filters = conv.filters();
    int channels = in.channels();
    Node node = step.node();
    MethodSpec.Builder method =
        pixelHelper(node.name() + "KernelGradient",
            "Adds the kernel gradient of $L into g: for each tap, input x times output gradient"
                + " d, summed over the pixels the tap reaches.", node)
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "d")
            .addParameter(int.class, "dOff")
            .addParameter(float[].class, "g");
    boolean padRows = w.padTop() > 0 || w.padBottom() > 0;
    boolean padCols = w.padLeft() > 0 || w.padRight() > 0;
    method.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
    if (padRows) {
      method.addComment("Output rows whose tap row kh falls inside the input.");
      addTapRange(method, "oh", "kh", w.padTop(), w.strideHeight(), in.height(), out.height());
    }
    method.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
    if (padCols) {
      addTapRange(method, "ow", "kw", w.padLeft(), w.strideWidth(), in.width(), out.width());
    }
    method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    CodeBlock.Builder code = CodeBlock.builder();
    for (Block block : blocks(filters)) {
      openBlock(code, block, filters);
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("float a$L = 0f", j);
      }
      code.beginControlFlow(
          "for (int oh = $L; oh < $L; oh++)", padRows ? "ohFrom" : "0", padRows ? "ohTo" : out.height());
      code.addStatement(
          "int xr = $L",
          Ix.of("xo")
              .plus("oh", (long) w.strideHeight() * in.width() * channels)
              .plus("kh", (long) in.width() * channels)
              .plus("kw", channels)
              .plus("c")
              .plus(-((long) w.padTop() * in.width() + w.padLeft()) * channels));
      code.addStatement("int zr = $L", Ix.of("dOff").plus("oh", (long) out.width() * filters));
      code.beginControlFlow(
          "for (int ow = $L; ow < $L; ow++)", padCols ? "owFrom" : "0", padCols ? "owTo" : out.width());
      code.addStatement("float xv = x[$L]", Ix.of("xr").plus("ow", (long) w.strideWidth() * channels));
      code.addStatement("int zb = $L", Ix.of("zr").plus("ow", filters));
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("a$L += xv * d[$L]", j, at(Ix.of("zb"), block, j));
      }
      code.endControlFlow().endControlFlow();
      code.addStatement(
          "int gi = $L",
          JavaLayer.weights(step)
              .plus("kh", (long) w.kernelWidth() * channels * filters)
              .plus("kw", (long) channels * filters)
              .plus("c", filters));
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("g[$L] += a$L", at(Ix.of("gi"), block, j), j);
      }
      closeBlock(code, block);
    }
    method.addCode(code.build());
    method.endControlFlow().endControlFlow().endControlFlow();
    return method.build();
  }

  /**
   * The input gradient, pixel by pixel: each output pixel's gradient (in registers) flows back
   * through the kernel to the input cells of its window.
   */
  private static List<MethodSpec> inputGradient(
      Step step, Op.Conv conv, TensorShape in, TensorShape out, MethodSpec.Builder method) {
    method.addComment("Input gradient: every output pixel's gradient back through its window.");
    method.addStatement("$T.fill(dx, dxo, dxo + $L, 0f)", Arrays.class, in.size());
    method.addStatement("int shift = dxo - xo");
    MethodSpec edge =
        pixels(
            method, step.node(), conv.window(), in, out, "zb", "dOff",
            clipped -> inputGradientPixel(step, conv, in, clipped),
            step.node().name() + "InputGradientEdge",
            "The input gradient from one $L output pixel whose window overlaps the padding.",
            List.of(
                param(float[].class, "p"), param(float[].class, "x"), param(int.class, "xo"),
                param(float[].class, "d"), param(int.class, "dOff"), param(float[].class, "dx"),
                param(int.class, "shift")));
    return edge == null ? List.of() : List.of(edge);
  }

  /**
   * Visits every output pixel (oh, ow): the interior inline in {@code method}, with {@code xb}
   * the window's first input cell; the border through a helper that clips the window, taking
   * {@code parameters} and then {@code oh, ow}. Before the pixel's code, {@code index} is set to
   * the pixel's first channel from {@code base}.
   *
   * @return the border helper, or null when every window lies inside the input
   */
  private static MethodSpec pixels(
      MethodSpec.Builder method,
      Node node,
      Window w,
      TensorShape in,
      TensorShape out,
      String index,
      String base,
      java.util.function.Function<Boolean, CodeBlock> pixelCode,
      String edgeName,
      String edgeDoc,
      List<com.palantir.javapoet.ParameterSpec> parameters) {
    int[] rows = interior(in.height(), out.height(), w.kernelHeight(), w.strideHeight(), w.padTop());
    int[] cols = interior(in.width(), out.width(), w.kernelWidth(), w.strideWidth(), w.padLeft());
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
      method.addStatement("int $L = $L", index, pixel(out, base));
      method.addStatement("int xb = $L", windowStart(w, in));
      method.addCode(pixelCode.apply(false));
      method.endControlFlow().endControlFlow();
    }
    if (wholeInterior) {
      return null;
    }
    List<String> arguments = new ArrayList<>();
    parameters.forEach(p -> arguments.add(p.name()));
    method.addComment("Border: windows that overlap the padding, clipped to the input.");
    borderLoops(method, rows, cols, out, edgeName + "(" + String.join(", ", arguments) + ", oh, ow)");
    MethodSpec.Builder edge =
        pixelHelper(edgeName, edgeDoc, node)
            .addParameters(parameters)
            .addParameter(int.class, "oh")
            .addParameter(int.class, "ow");
    edge.addCode(clippedWindow(w, in));
    edge.addStatement("int $L = $L", index, pixel(out, base));
    edge.addCode(pixelCode.apply(true));
    return edge.build();
  }

  private static com.palantir.javapoet.ParameterSpec param(Class<?> type, String name) {
    return com.palantir.javapoet.ParameterSpec.builder(type, name).build();
  }

  private static CodeBlock inputGradientPixel(
      Step step, Op.Conv conv, TensorShape in, boolean clipped) {
    Window w = conv.window();
    int filters = conv.filters();
    int channels = in.channels();
    CodeBlock.Builder code = CodeBlock.builder();
    for (Block block : blocks(filters)) {
      openBlock(code, block, filters);
      for (int j = 0; j < block.width(); j++) {
        code.addStatement("float z$L = d[$L]", j, at(Ix.of("zb"), block, j));
      }
      openTaps(code, w, clipped);
      code.addStatement("int xi = $L", tapInput(w, in, clipped));
      code.addStatement("int ki = $L", kernelTap(step, w, channels, filters, block));
      code.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
      code.addStatement("int kc = $L", Ix.of("ki").plus("c", filters));
      List<String> products = new ArrayList<>();
      for (int j = 0; j < block.width(); j++) {
        products.add("p[" + Ix.of("kc").plus(j) + "] * z" + j);
      }
      code.addStatement("dx[xi + shift + c] += $L", tree(products));
      code.endControlFlow();
      code.endControlFlow().endControlFlow();
      closeBlock(code, block);
    }
    return code.build();
  }

  /** {@code a + b + c + d} as {@code (a + b) + (c + d)}: independent additions run in parallel. */
  static String tree(List<String> terms) {
    if (terms.size() == 1) {
      return terms.get(0);
    }
    int half = terms.size() / 2;
    String left = tree(terms.subList(0, half));
    String right = tree(terms.subList(half, terms.size()));
    return (half > 1 ? "(" + left + ")" : left)
        + " + "
        + (terms.size() - half > 1 ? "(" + right + ")" : right);
  }

  // ---- shared pieces ----

  private static String layout(Step step, Node node) {
    return "Kernel "
        + JavaLayer.range(step.weightOffset(), node.weightCount())
        + " "
        + Arrays.toString(node.weightShape())
        + " HWIO"
        + (step.biasOffset() >= 0
            ? ", bias " + JavaLayer.range(step.biasOffset(), node.biasCount())
            : ", no bias")
        + ".";
  }

  private static MethodSpec.Builder pixelHelper(String name, String doc, Node node) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc(doc + "\n", node.name());
  }

  /** Index of output pixel (oh, ow) from {@code base}. */
  private static Ix pixel(TensorShape out, String base) {
    return Ix.of(base).plus("oh", (long) out.width() * out.channels()).plus("ow", out.channels());
  }

  /** Index of the window's top-left input cell of an interior pixel. */
  private static Ix windowStart(Window w, TensorShape in) {
    return Ix.of("xo")
        .plus("oh", (long) w.strideHeight() * in.width() * in.channels())
        .plus("ow", (long) w.strideWidth() * in.channels())
        .plus(-((long) w.padTop() * in.width() + w.padLeft()) * in.channels());
  }

  private static void openTaps(CodeBlock.Builder code, Window w, boolean clipped) {
    if (clipped) {
      code.beginControlFlow("for (int kh = khFrom; kh < khTo; kh++)");
      code.beginControlFlow("for (int kw = kwFrom; kw < kwTo; kw++)");
    } else {
      code.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
      code.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
    }
  }

  /** Index of tap (kh, kw)'s first input channel. */
  private static Ix tapInput(Window w, TensorShape in, boolean clipped) {
    long row = (long) in.width() * in.channels();
    return clipped
        ? Ix.of("xo").plus("(ih0 + kh)", row).plus("(iw0 + kw)", in.channels())
        : Ix.of("xb").plus("kh", row).plus("kw", in.channels());
  }

  /** Index of tap (kh, kw)'s kernel weights for input channel 0 and the block's first filter. */
  private static Ix kernelTap(Step step, Window w, int channels, int filters, Block block) {
    Ix base =
        JavaLayer.weights(step)
            .plus("kh", (long) w.kernelWidth() * channels * filters)
            .plus("kw", (long) channels * filters);
    return block.start().equals("fb") ? base.plus("fb") : base.plus(Integer.parseInt(block.start()));
  }

  private static void borderLoops(
      MethodSpec.Builder method, int[] rows, int[] cols, TensorShape out, String call) {
    if (rows[0] >= rows[1] || cols[0] >= cols[1]) {
      loops(method, 0, out.height(), 0, out.width(), call);
    } else {
      loops(method, 0, rows[0], 0, out.width(), call);
      loops(method, rows[1], out.height(), 0, out.width(), call);
      loops(method, rows[0], rows[1], 0, cols[0], call);
      loops(method, rows[0], rows[1], cols[1], out.width(), call);
    }
  }

  /**
   * The output positions {@code [from, to)} along one axis whose window reads no padding: {@code
   * o * stride - pad >= 0} and {@code o * stride - pad + kernel <= n}.
   */
  static int[] interior(int n, int outputs, int kernel, int stride, int padBefore) {
    // In long: padBefore + stride - 1 overflows an int for a stride near Integer.MAX_VALUE.
    long from = Math.min(((long) padBefore + stride - 1) / stride, outputs);
    long to = (long) n + padBefore - kernel < 0 ? 0 : ((long) n + padBefore - kernel) / stride + 1;
    to = Math.min(to, outputs);
    return new int[] {(int) from, (int) Math.max(from, to)};
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
        .addStatement("int khFrom = $T.max(0, -ih0)", Math.class)
        .addStatement("int khTo = $T.min($L, $L - ih0)", Math.class, w.kernelHeight(), in.height())
        .addStatement("int kwFrom = $T.max(0, -iw0)", Math.class)
        .addStatement("int kwTo = $T.min($L, $L - iw0)", Math.class, w.kernelWidth(), in.width())
        .build();
  }

  private static void loops(
      MethodSpec.Builder method, int rowFrom, int rowTo, int colFrom, int colTo, String call) {
    if (rowFrom >= rowTo || colFrom >= colTo) {
      return;
    }
    method.beginControlFlow("for (int oh = $L; oh < $L; oh++)", rowFrom, rowTo);
    method.beginControlFlow("for (int ow = $L; ow < $L; ow++)", colFrom, colTo);
    method.addStatement("$L", call);
    method.endControlFlow().endControlFlow();
  }

  @Override
  public CodeBlock initialize(Step step) {
    return JavaLayer.randomInitialization(step, conv.init(), conv.biasInit());
  }

  /** Inference's convolution and 2x2 max pool in one method: see {@link PoolFusionEmitter}. */
  @Override
  public MethodSpec withPool(String name, Step step, Step pool) {
    Node node = step.node();
    boolean relu = node.activation().isPresent();
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.STATIC)
        .addJavadoc(
            "Inference: $L ($L) and $L ($L), $L -> $L, in one pass: the pool$L run straight from"
                + "\n$L's planes. Input {@code x[xo..]}, output {@code y[yo..]}; {@code t[to..]} is"
                + " where $L's output\ngoes when the two layers run one after the other.\n",
            node.name(), node.describe(), pool.node().name(), pool.node().describe(), node.input(),
            pool.node().output(), relu ? ", the bias and ReLU" : " and the bias", node.name(),
            node.name())
        .addParameter(float[].class, "p")
        .addParameter(float[].class, "x")
        .addParameter(int.class, "xo")
        .addParameter(float[].class, "t")
        .addParameter(int.class, "to")
        .addParameter(float[].class, "y")
        .addParameter(int.class, "yo")
        .addCode(ConvKernelCalls.pooledForward(step, conv, relu, node.name()))
        .addStatement("$N(p, x, xo, t, to)", JavaLayer.forwardName(step))
        .addStatement("$N(p, t, to, y, yo)", JavaLayer.forwardName(pool))
        .build();
  }
}
