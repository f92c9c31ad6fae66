package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Batch normalization over the channels (TensorFlow's axis -1). Gamma sits where a layer's
 * weights would, beta where its bias would; the moving mean and variance are in the model's
 * state array {@code s}. At inference: {@code y = gamma (x - mean) / sqrt(var + eps) + beta} with
 * the moving statistics, as one scale and shift per channel. In training the statistics are the
 * batch's, over the samples, height and width ({@code N} values per channel), in four pieces that
 * the generated {@code trainBatch} runs in order: the statistics (on one thread, in sample order,
 * also updating the moving averages), the per-sample normalization, the gradient sums over the
 * batch, and the per-sample input gradient {@code dx = gamma / sigma (dy - mean(dy) - xhat
 * mean(dy xhat))}. The batch's {@code statistics()} hold, per BatchNorm, the mean, the inverse
 * standard deviation, the sum of {@code dy} and the sum of {@code dy xhat}, a channel each.
 */
record BatchNormEmitter(Op.BatchNorm op) implements JavaLayer {
  private static final ClassName BATCH = Names.BATCH;

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    return List.of(inference(step, name));
  }

  /** The inference call: its forward reads the moving statistics, {@code s}. */
  @Override
  public CodeBlock inferenceCall(Step step, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, s, $L, $L)", JavaLayer.forwardName(step), regions.inputs(step),
        regions.output(step));
  }

  /** Gamma starts at 1, beta at 0. */
  @Override
  public CodeBlock initialize(Step step) {
    return CodeBlock.builder()
        .add("// $L's gamma starts at 1, its beta at 0\n", step.node().name())
        .addStatement(
            "$T.fill(p, $L_WEIGHTS, $L_WEIGHTS + $L, 1f)", Arrays.class, step.constantPrefix(),
            step.constantPrefix(), step.node().weightCount())
        .build();
  }

  /** Weights times gamma / sigma per output channel, the shift as the producer's bias. */
  @Override
  public MethodSpec foldInto(String name, Step producer, Step norm) {
    int channels = producer.node().output().channels();
    long rows = producer.node().weightCount() / channels;
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(name)
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "$L folded into $L: weights times gamma / sigma per output channel, the shift as the bias.\n",
                norm.node().name(), producer.node().name())
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "s")
            .addParameter(float[].class, "f");
    // The scales first, then the weights row by row: a channel's weights lie a row apart, and
    // walking them channel by channel (ResNet-18's last stage: 4,608 rows of 2 KiB) missed the
    // cache on every one.
    method.addStatement("float[] scale = new float[$L]", channels);
    method.beginControlFlow("for (int o = 0; o < $L; o++)", channels);
    method.addStatement(
        "scale[o] = p[$L + o] / (float) $T.sqrt(s[$L + o] + $Lf)", JavaLayer.weights(norm), Math.class,
        JavaLayer.state(norm).plus(channels), (float) op.epsilon());
    method.addStatement(
        "f[$L + o] = ($L - s[$L + o]) * scale[o] + p[$L + o]", JavaLayer.bias(norm),
        producer.biasOffset() >= 0 ? "p[" + JavaLayer.bias(producer).plus("o") + "]" : "0f",
        JavaLayer.state(norm), JavaLayer.bias(norm));
    method.endControlFlow();
    method.beginControlFlow("for (int k = 0; k < $L; k++)", rows);
    method.addStatement("int row = $L + k * $L", JavaLayer.weights(producer), channels);
    method.beginControlFlow("for (int o = 0; o < $L; o++)", channels);
    method.addStatement("f[row + o] *= scale[o]");
    method.endControlFlow();
    method.endControlFlow();
    return method.build();
  }

  /** The four pieces {@code trainBatch} runs ({@link BatchTrainingEmitter}). */
  @Override
  public List<MethodSpec> training(TrainingStep t, int index) {
    Step step = t.step();
    int at = t.statisticsOffset();
    List<MethodSpec> methods = new ArrayList<>();
    methods.add(statistics(step, t, at));
    methods.add(trainForward(step, t, at));
    if (t.backward()) {
      methods.addAll(backward(step, t));
    }
    return methods;
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingStep t) {
    List<MethodSpec> methods = new ArrayList<>();
    if (hasActivationDerivative(t)) {
      methods.add(activationBackward(step, t));
    }
    methods.add(gradientSums(step, t, t.statisticsOffset()));
    methods.add(inputGradient(step, t.statisticsOffset()));
    return methods;
  }

  /** The normalization of one sample by the batch's statistics {@code st}. */
  @Override
  public CodeBlock trainingForwardCall(TrainingStep t, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, st, $L, ws, $L)", t.step().node().name() + "Normalize",
        regions.trainingInputs(t), regions.trainingOutput(t));
  }

  /** One sample's part before the batch's gradient sums: its activation's derivative. */
  @Override
  public CodeBlock backwardCall(TrainingStep t, RegionNames regions) {
    return hasActivationDerivative(t)
        ? CodeBlock.of(
            "$N(ws, $L, ws, $L)", t.step().node().name() + "ActivationDerivative",
            regions.trainingOutput(t), regions.gradient(t))
        : CodeBlock.builder().build();
  }

  /** One sample's part after the batch's gradient sums: its input gradient. */
  static CodeBlock inputGradientCall(TrainingStep t, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, st, batch.count(), $L, ws, $L)", t.step().node().name() + "InputGradient",
        regions.trainingInputs(t), regions.gradient(t));
  }

  /** {@code <name>Statistics(batch, s, from, to)}, over a range of channels. */
  static String statisticsName(Step step) {
    return step.node().name() + "Statistics";
  }

  /** {@code <name>GradientSums(batch, from, to)}, over a range of channels. */
  static String gradientSumsName(Step step) {
    return step.node().name() + "GradientSums";
  }

  private static boolean hasActivationDerivative(TrainingStep t) {
    return t.step().node().activation().isPresent() && !t.lossActivation();
  }

  private static int channels(Step step) {
    return step.node().output().channels();
  }

  private static long pixels(Step step) {
    return step.node().output().size() / channels(step);
  }

  /** {@code <name>Forward(p, s, x, xo, y, yo)}: the moving statistics' scale and shift. */
  private MethodSpec inference(Step step, String name) {
    Node node = step.node();
    int c = channels(step);
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(name)
            .addModifiers(Modifier.STATIC)
            .addJavadoc("$L: $L, $L -> $L.\n", node.name(), node.describe(), node.input(), node.output())
            .addJavadoc(
                "Inference: gamma $L, beta $L, moving mean s[$L..), variance s[$L..); may run in"
                    + " place.\n",
                JavaLayer.range(step.weightOffset(), c), JavaLayer.range(step.biasOffset(), c),
                step.stateOffset(), step.stateOffset() + c)
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "s")
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo");
    method.addStatement("float[] affine = $T.scratch($L)", Names.KERNELS, 2 * c);
    method.beginControlFlow("for (int c = 0; c < $L; c++)", c);
    method.addStatement(
        "float scale = p[$L + c] / (float) $T.sqrt(s[$L + c] + $Lf)", JavaLayer.weights(step), Math.class,
        JavaLayer.state(step).plus(c), (float) op.epsilon());
    method.addStatement("affine[c] = scale");
    method.addStatement("affine[$L + c] = p[$L + c] - s[$L + c] * scale", c, JavaLayer.bias(step), JavaLayer.state(step));
    method.endControlFlow();
    // The vector path takes a ReLU into the same pass; another activation follows it.
    boolean relu = node.activation().filter(a -> a.kind() == Activation.Kind.RELU).isPresent();
    method.beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS);
    method.addStatement(
        "$T.scaleShift(x, xo, affine, $L, $L, $L, y, yo)", Names.KERNELS, c, pixels(step), relu);
    if (!relu) {
      method.addCode(ActivationEmitter.fused(node, true));
    }
    method.addStatement("return");
    method.endControlFlow();
    method.beginControlFlow("for (int px = 0; px < $L; px++)", pixels(step));
    method.beginControlFlow("for (int c = 0; c < $L; c++)", c);
    method.addStatement("int i = px * $L + c", c);
    method.addStatement("y[yo + i] = x[xo + i] * affine[c] + affine[$L + c]", c);
    method.endControlFlow();
    method.endControlFlow();
    method.addCode(ActivationEmitter.fused(node, true));
    return method.build();
  }

  /** The array and offset expressions of a step's input for sample {@code i} in serial code. */
  private static String inputArray(Plan.Location in) {
    return in.isInput() ? "batch.inputs()" : "batch.workspace(i)";
  }

  private static String inputOffset(Plan.Location in) {
    return in.isInput() ? "batch.inputOffset(i)" : String.valueOf(in.offset());
  }

  /**
   * {@code <name>Statistics(batch, s)}: the batch's mean and inverse standard deviation per
   * channel (two passes, in double), and the moving averages updated with them (the variance
   * with Bessel's correction, as TensorFlow's fused kernel and PyTorch do).
   */
  private MethodSpec statistics(Step step, TrainingStep t, int at) {
    int c = channels(step);
    long n = pixels(step);
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(statisticsName(step))
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "Batch statistics of $L's channels [from, to) into statistics()[$L..$L): mean, then 1 /"
                    + " sqrt(var + eps),\nsummed per channel over the samples and pixels in order;"
                    + " the moving averages.\n",
                step.node().name(), at, at + 2 * c)
            .addParameter(BATCH, "batch")
            .addParameter(float[].class, "s")
            .addParameter(int.class, "from")
            .addParameter(int.class, "to");
    method.addStatement("float[] st = batch.statistics()");
    if (n == 1) {
      method.beginControlFlow("if (batch.count() < 2)");
      method.addStatement(
          "throw new $T($S)", IllegalArgumentException.class,
          step.node().name() + ": BatchNorm normalizes each value over the batch, which needs at"
              + " least 2 samples in training; got 1");
      method.endControlFlow();
    }
    method.addStatement("double[] mean = new double[to - from]");
    method.addStatement("long count = (long) batch.count() * $L", n);
    samplesAndPixels(method, t, n, c);
    method.addStatement("mean[c - from] += x[xo + px * $L + c]", c);
    closeSamplesAndPixels(method);
    method.addStatement("double[] squares = new double[to - from]");
    samplesAndPixels(method, t, n, c);
    method.addStatement("double v = x[xo + px * $L + c] - mean[c - from] / count", c);
    method.addStatement("squares[c - from] += v * v");
    closeSamplesAndPixels(method);
    method.beginControlFlow("for (int c = from; c < to; c++)");
    method.addStatement("double m = mean[c - from] / count");
    method.addStatement("double variance = squares[c - from] / count");
    method.addStatement("st[$L + c] = (float) m", at);
    method.addStatement(
        "st[$L + c] = (float) (1.0 / $T.sqrt(variance + $L))", at + c, Math.class, op.epsilon());
    method.addStatement("double unbiased = count > 1 ? variance * count / (count - 1) : variance");
    method.addStatement(
        "s[$L + c] = (float) ($L * s[$L + c] + $L * m)", JavaLayer.state(step), op.momentum(),
        JavaLayer.state(step), 1 - op.momentum());
    method.addStatement(
        "s[$L + c] = (float) ($L * s[$L + c] + $L * unbiased)", JavaLayer.state(step).plus(c),
        op.momentum(), JavaLayer.state(step).plus(c), 1 - op.momentum());
    method.endControlFlow();
    return method.build();
  }

  /** {@code <name>Normalize(p, st, x, xo, y, yo)}: one sample normalized by the batch's statistics. */
  private static MethodSpec trainForward(Step step, TrainingStep t, int at) {
    Node node = step.node();
    int c = channels(step);
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(node.name() + "Normalize")
            .addModifiers(Modifier.STATIC)
            .addJavadoc("$L in training: normalized by the batch's statistics st[$L..).\n", node.name(), at)
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "st")
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo");
    method.beginControlFlow("for (int px = 0; px < $L; px++)", pixels(step));
    method.beginControlFlow("for (int c = 0; c < $L; c++)", c);
    method.addStatement("int i = px * $L + c", c);
    method.addStatement(
        "y[yo + i] = p[$L + c] * (x[xo + i] - st[$L + c]) * st[$L + c] + p[$L + c]",
        JavaLayer.weights(step), at, at + c, JavaLayer.bias(step));
    method.endControlFlow();
    method.endControlFlow();
    method.addCode(ActivationEmitter.fused(node, !t.lossActivation()));
    return method.build();
  }

  /** {@code <name>ActivationDerivative(y, yo, d, dOff)}: the fused activation's derivative, per sample. */
  private static MethodSpec activationBackward(Step step, TrainingStep t) {
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(step.node().name() + "ActivationDerivative")
            .addModifiers(Modifier.STATIC)
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo")
            .addParameter(float[].class, "d")
            .addParameter(int.class, "dOff");
    method.addCode(ActivationEmitter.fusedDerivative(step.node(), !t.lossActivation()));
    return method.build();
  }

  /**
   * {@code <name>GradientSums(batch, p)}: the sums of dy and dy xhat over the batch, and from
   * them the gradients of beta and gamma, added into the batch's first gradient array.
   */
  private static MethodSpec gradientSums(Step step, TrainingStep t, int at) {
    int c = channels(step);
    long n = pixels(step);
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(gradientSumsName(step))
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "Sums of dy and dy xhat over the batch for $L's channels [from, to), and their gamma"
                    + " and beta gradients.\n",
                step.node().name())
            .addParameter(BATCH, "batch")
            .addParameter(int.class, "from")
            .addParameter(int.class, "to");
    method.addStatement("float[] st = batch.statistics()");
    method.addStatement("double[] dy = new double[to - from]");
    method.addStatement("double[] dyXhat = new double[to - from]");
    samplesAndPixels(method, t, n, c);
    method.addStatement("float g = batch.workspace(i)[$L + px * $L + c]", t.gradient(), c);
    method.addStatement("dy[c - from] += g");
    method.addStatement(
        "dyXhat[c - from] += g * ((x[xo + px * $L + c] - st[$L + c]) * st[$L + c])", c, at, at + c);
    closeSamplesAndPixels(method);
    method.addStatement("float[] g = batch.gradients()");
    method.beginControlFlow("for (int c = from; c < to; c++)");
    method.addStatement("st[$L + c] = (float) dy[c - from]", at + 2 * c);
    method.addStatement("st[$L + c] = (float) dyXhat[c - from]", at + 3 * c);
    method.addStatement("g[$L + c] += (float) dyXhat[c - from]", JavaLayer.weights(step));
    method.addStatement("g[$L + c] += (float) dy[c - from]", JavaLayer.bias(step));
    method.endControlFlow();
    return method.build();
  }

  /** Opens loops over the samples (x, xo their input), pixels px and channels c in [from, to). */
  private static void samplesAndPixels(MethodSpec.Builder method, TrainingStep t, long n, int c) {
    method.beginControlFlow("for (int i = 0; i < batch.count(); i++)");
    method.addStatement("float[] x = $L", inputArray(t.in()));
    method.addStatement("int xo = $L", inputOffset(t.in()));
    method.beginControlFlow("for (int px = 0; px < $L; px++)", n);
    method.beginControlFlow("for (int c = from; c < to; c++)");
  }

  private static void closeSamplesAndPixels(MethodSpec.Builder method) {
    method.endControlFlow().endControlFlow().endControlFlow();
  }

  /**
   * {@code <name>InputGradient(p, st, count, x, xo, d, dOff)}: one sample's input gradient, in
   * place over its output gradient.
   */
  private static MethodSpec inputGradient(Step step, int at) {
    int c = channels(step);
    long n = pixels(step);
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(step.node().name() + "InputGradient")
            .addModifiers(Modifier.STATIC)
            .addJavadoc("dx = gamma / sigma (dy - sum(dy) / N - xhat sum(dy xhat) / N), in place on d.\n")
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "st")
            .addParameter(int.class, "count")
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "d")
            .addParameter(int.class, "dOff");
    method.addStatement("float inverseN = 1f / ((float) count * $L)", n);
    method.beginControlFlow("for (int px = 0; px < $L; px++)", n);
    method.beginControlFlow("for (int c = 0; c < $L; c++)", c);
    method.addStatement("int i = px * $L + c", c);
    method.addStatement("float invStd = st[$L + c]", at + c);
    method.addStatement("float xhat = (x[xo + i] - st[$L + c]) * invStd", at);
    method.addStatement(
        "d[dOff + i] = p[$L + c] * invStd * (d[dOff + i] - st[$L + c] * inverseN - xhat * st[$L + c] * inverseN)",
        JavaLayer.weights(step), at + 2 * c, at + 3 * c);
    method.endControlFlow();
    method.endControlFlow();
    return method.build();
  }
}
