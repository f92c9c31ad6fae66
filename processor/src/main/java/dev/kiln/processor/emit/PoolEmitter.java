package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.List;

/**
 * MaxPool and AvgPool. Without padding the window taps are literal (unrolled for small windows);
 * with SAME padding each window is clipped to the input, so the maximum and the average are over
 * real cells only, as in TensorFlow. The innermost loop runs over contiguous channels.
 */
record PoolEmitter(Op.Pool pool) implements JavaLayer {
  /** Windows with at most this many taps are unrolled. */
  static final int UNROLL_TAPS = 9;

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    boolean max = pool.pool() == Op.PoolKind.MAX;
    Window w = pool.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int channels = in.channels();
    long rowStride = (long) in.width() * channels;

    MethodSpec.Builder method =
        JavaLayer.forwardMethod(name, step, "No parameters.");
    if (vectorized()) {
      method.addCode(vectorForward(node, ActivationEmitter.fused(node, withActivation)));
    } else if (max) {
      method.addCode(clippedForward(node, ActivationEmitter.fused(node, withActivation)));
    }
    method.beginControlFlow("for (int oh = 0; oh < $L; oh++)", out.height());
    method.beginControlFlow("for (int ow = 0; ow < $L; ow++)", out.width());
    method.addStatement(
        "int yb = $L", Ix.of("yo").plus("oh", (long) out.width() * channels).plus("ow", channels));
    int taps = w.kernelHeight() * w.kernelWidth();
    if (!w.padded() && taps <= UNROLL_TAPS) {
      // Small window, no padding: each channel's taps combine in a register, stored once.
      method.addStatement(
          "int xb = $L",
          Ix.of("xo")
              .plus("oh", w.strideHeight() * rowStride)
              .plus("ow", (long) w.strideWidth() * channels));
      method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
      for (int kh = 0; kh < w.kernelHeight(); kh++) {
        for (int kw = 0; kw < w.kernelWidth(); kw++) {
          Ix tap = Ix.of("xb").plus(kh * rowStride + (long) kw * channels).plus("c");
          if (kh == 0 && kw == 0) {
            method.addStatement("float v = x[$L]", tap);
          } else if (max) {
            method.addStatement("v = $T.max(v, x[$L])", Math.class, tap);
          } else {
            method.addStatement("v += x[$L]", tap);
          }
        }
      }
      if (max) {
        method.addStatement("y[yb + c] = v");
      } else {
        method.addStatement("y[yb + c] = v * $Lf", 1.0f / taps);
      }
      method.endControlFlow();
      method.endControlFlow().endControlFlow();
      method.addCode(ActivationEmitter.fused(node, withActivation));
      return List.of(method.build());
    }
    method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    method.addStatement(
        "y[yb + c] = $L", max ? CodeBlock.of("$T.NEGATIVE_INFINITY", Float.class) : "0f");
    method.endControlFlow();
    CodeBlock accumulate =
        max
            ? CodeBlock.of("y[yb + c] = $T.max(y[yb + c], x[xi + c])", Math.class)
            : CodeBlock.of("y[yb + c] += x[xi + c]");
    if (!w.padded()) {
      method.addStatement(
          "int xb = $L",
          Ix.of("xo")
              .plus("oh", w.strideHeight() * rowStride)
              .plus("ow", (long) w.strideWidth() * channels));
      method.beginControlFlow("for (int kh = 0; kh < $L; kh++)", w.kernelHeight());
      method.beginControlFlow("for (int kw = 0; kw < $L; kw++)", w.kernelWidth());
      method.addCode(
          tap(Ix.of("xb").plus("kh", rowStride).plus("kw", channels), channels, accumulate, true));
      method.endControlFlow().endControlFlow();
      if (!max) {
        scale(method, channels, (1.0f / taps) + "f");
      }
    } else {
      method.addComment("The window clipped to the input: padding is not part of the result.");
      method.addCode(ConvEmitter.clippedWindow(w, in));
      method.beginControlFlow("for (int kh = khFrom; kh < khTo; kh++)");
      method.beginControlFlow("for (int kw = kwFrom; kw < kwTo; kw++)");
      method.addCode(
          tap(Ix.of("xo").plus("(ih0 + kh)", rowStride).plus("(iw0 + kw)", channels), channels,
              accumulate, true));
      method.endControlFlow().endControlFlow();
      if (!max) {
        scale(method, channels, "1f / ((khTo - khFrom) * (kwTo - kwFrom))");
      }
    }
    method.endControlFlow().endControlFlow();
    method.addCode(ActivationEmitter.fused(node, withActivation));
    return List.of(method.build());
  }

  /**
   * Max pooling sends each output's gradient to the first input cell holding the window's
   * maximum (as TensorFlow does); average pooling shares it equally among the real cells.
   */
  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    boolean max = pool.pool() == Op.PoolKind.MAX;
    Window w = pool.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int channels = in.channels();
    long rowStride = (long) in.width() * channels;
    MethodSpec.Builder method =
        JavaLayer.backwardMethod(step, "No parameters: writes the input gradient to dx.");
    method.addCode(ActivationEmitter.fusedDerivative(node, !training.lossActivation()));
    method.addStatement("$T.fill(dx, dxo, dxo + $L, 0f)", java.util.Arrays.class, in.size());
    if (vectorizedBackward(node)) {
      method.addCode(vectorBackward(node));
    }
    method.addStatement("int shift = dxo - xo");
    method.beginControlFlow("for (int oh = 0; oh < $L; oh++)", out.height());
    method.beginControlFlow("for (int ow = 0; ow < $L; ow++)", out.width());
    method.addStatement(
        "int zb = $L", Ix.of("dOff").plus("oh", (long) out.width() * channels).plus("ow", channels));
    String khFrom = "0";
    String khTo = String.valueOf(w.kernelHeight());
    String kwFrom = "0";
    String kwTo = String.valueOf(w.kernelWidth());
    Ix first;
    Ix tap;
    if (w.padded()) {
      method.addCode(ConvEmitter.clippedWindow(w, in));
      khFrom = "khFrom";
      khTo = "khTo";
      kwFrom = "kwFrom";
      kwTo = "kwTo";
      first = Ix.of("xo").plus("(ih0 + khFrom)", rowStride).plus("(iw0 + kwFrom)", channels);
      tap = Ix.of("xo").plus("(ih0 + kh)", rowStride).plus("(iw0 + kw)", channels);
    } else {
      method.addStatement(
          "int xb = $L",
          Ix.of("xo")
              .plus("oh", w.strideHeight() * rowStride)
              .plus("ow", (long) w.strideWidth() * channels));
      first = Ix.of("xb");
      tap = Ix.of("xb").plus("kh", rowStride).plus("kw", channels);
    }
    if (max) {
      method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
      method.addStatement("int best = $L + c", first);
      method.addStatement("float m = x[best]");
      method.beginControlFlow("for (int kh = $L; kh < $L; kh++)", khFrom, khTo);
      method.beginControlFlow("for (int kw = $L; kw < $L; kw++)", kwFrom, kwTo);
      method.addStatement("int xi = $L + c", tap);
      // Selects, not a branch: which cell holds the maximum is data, and mispredicted branches
      // took LeNet-5's s2 gradient 5-8 us a sample.
      method.addStatement("float v = x[xi]");
      method.addStatement("boolean larger = v > m");
      method.addStatement("best = larger ? xi : best");
      method.addStatement("m = larger ? v : m");
      method.endControlFlow().endControlFlow();
      method.addStatement("dx[best + shift] += d[zb + c]");
      method.endControlFlow();
    } else {
      method.addStatement(
          "float scale = $L",
          w.padded()
              ? "1f / ((khTo - khFrom) * (kwTo - kwFrom))"
              : (1.0f / (w.kernelHeight() * w.kernelWidth())) + "f");
      method.beginControlFlow("for (int kh = $L; kh < $L; kh++)", khFrom, khTo);
      method.beginControlFlow("for (int kw = $L; kw < $L; kw++)", kwFrom, kwTo);
      method.addStatement("int xi = $L", tap);
      method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
      method.addStatement("dx[xi + shift + c] += d[zb + c] * scale");
      method.endControlFlow();
      method.endControlFlow().endControlFlow();
    }
    method.endControlFlow().endControlFlow();
    return List.of(method.build());
  }

  private static CodeBlock tap(Ix index, int channels, CodeBlock accumulate, boolean declare) {
    CodeBlock.Builder code = CodeBlock.builder();
    code.addStatement((declare ? "int " : "") + "xi = $L", index);
    code.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    code.addStatement("$L", accumulate);
    code.endControlFlow();
    return code.build();
  }

  private static void scale(MethodSpec.Builder method, int channels, String factor) {
    method.addStatement("float scale = $L", factor);
    method.beginControlFlow("for (int c = 0; c < $L; c++)", channels);
    method.addStatement("y[yb + c] *= scale");
    method.endControlFlow();
  }

  /** Whether the layer takes the vectorized path: max pooling without padding. */
  private boolean vectorized() {
    return pool.pool() == Op.PoolKind.MAX && !pool.window().padded();
  }

  /** Forward of an unpadded max pool, ending with the fused activation and a return. */
  private CodeBlock vectorForward(Node node, CodeBlock activation) {
    return CodeBlock.builder()
        .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
        .add("// Vector path: each window's maximum over a vector of channels.\n")
        .addStatement(
            "$T.maxPool(x, xo, $L, y, yo, $L)", Names.KERNELS, windows(node), outputSize(node))
        .add(activation)
        .addStatement("return")
        .endControlFlow()
        .build();
  }

  /**
   * Forward of a padded max pool on the vector path: each window clipped to the input (the
   * padding is in no window), then the fused activation and a return.
   */
  private CodeBlock clippedForward(Node node, CodeBlock activation) {
    Window w = pool.window();
    TensorShape in = node.input();
    return CodeBlock.builder()
        .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
        .add("// Vector path: each window clipped to the input, its maximum over a vector of channels.\n")
        .addStatement(
            "$T.maxPoolClipped(x, xo, $L, $L, $L, $L, $L, $L, $L, $L, $L, y, yo, $L)", Names.KERNELS,
            in.height(), in.width(), in.channels(), w.kernelHeight(), w.kernelWidth(), w.strideHeight(),
            w.strideWidth(), w.padTop(), w.padLeft(), outputSize(node))
        .add(activation)
        .addStatement("return")
        .endControlFlow()
        .build();
  }

  /**
   * Whether the backward pass takes the vectorized path: an unpadded max pool with at least 16
   * channels. With fewer, most lanes are masked off and the scalar loop is faster (LeNet's s2, 6
   * channels: 6.4 against 4.4 us per sample; SEEDCNN's p1, 32 channels: 15 against 40, the scalar
   * loop's data-dependent branches mispredicting).
   */
  private boolean vectorizedBackward(Node node) {
    return vectorized() && node.input().channels() >= 16;
  }

  /** Backward of an unpadded max pool after dx is zeroed; ends with a return. */
  private CodeBlock vectorBackward(Node node) {
    return CodeBlock.builder()
        .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
        .add("// Vector path: each window's first maximum takes the gradient, branch-free.\n")
        .addStatement(
            "$T.maxPoolBackward(x, xo, $L, d, dOff, dx, dxo, $L)", Names.KERNELS, windows(node),
            outputSize(node))
        .addStatement("return")
        .endControlFlow()
        .build();
  }

  /** The kernels' {@code rowStep, colStep, inRow, kh, kw, channels} over the NHWC input. */
  private String windows(Node node) {
    Window w = pool.window();
    TensorShape in = node.input();
    int inRow = in.width() * in.channels();
    return (w.strideHeight() * inRow) + ", " + (w.strideWidth() * in.channels()) + ", " + inRow
        + ", " + w.kernelHeight() + ", " + w.kernelWidth() + ", " + in.channels();
  }

  /** The kernels' {@code rows, cols}. */
  private static String outputSize(Node node) {
    return node.output().height() + ", " + node.output().width();
  }
}
