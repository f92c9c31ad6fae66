package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java code of one layer kind: its methods, and the statements that call them from the
 * generated {@code forward}, {@code trainSample} and {@code create}. {@link JavaLayers#of} picks
 * the one for an op; the writers ({@link ModelEmitter}, {@link TrainingEmitter}, {@link
 * BatchTrainingEmitter}) only assemble what the layers give them, and layers never call each
 * other.
 *
 * <p>The defaults are the convention most kinds follow: {@code <name>Forward(p, x, xo, y, yo)}
 * with parameters {@code p}, input at {@code x[xo..]} and output at {@code y[yo..]}, and {@code
 * <name>Backward(p, x, xo, y, yo, d, dOff, dx, dxo, g)}: {@code d[dOff..]} holds the gradient of
 * the output (it is overwritten), {@code dx[dxo..]} receives the gradient of the input if the step
 * computes it, and the parameter gradients are added into {@code g}. Kinds whose calls differ
 * (merges, dropout, batch norm) override the calls along with the methods.
 */
interface JavaLayer {

  /**
   * The forward method named {@code name}, then any helpers it calls; without its fused
   * activation for the last layer in training, where the loss applies Softmax or Sigmoid to the
   * logits itself.
   */
  List<MethodSpec> forward(Step step, String name, boolean withActivation);

  /** The backward method ({@link #backwardName}), then any helpers it calls. */
  List<MethodSpec> backward(Step step, TrainingStep training);

  /** The methods inference calls, for a step that {@link Step#runsAtInference()}. */
  default List<MethodSpec> inference(Step step) {
    return forward(step, forwardName(step), true);
  }

  /** The statement of {@code forward} that runs the step (at {@code forwardStep}'s case too). */
  default CodeBlock inferenceCall(Step step, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, $L, $L)", forwardName(step), regions.inputs(step), regions.output(step));
  }

  /**
   * For a step that runs over tiles ({@code Plan.runsOverTiles}): {@code <name>Tile(p, x, xo,
   * xStride, y, yo, yStride, n)}, the step for samples {@code s < n} at {@code x[xo + s·xStride..]}
   * and {@code y[yo + s·yStride..]}, reading its weights once for all of them.
   */
  default List<MethodSpec> tileInference(Step step) {
    throw new UnsupportedOperationException(step.node().describe() + " runs sample by sample");
  }

  /** The statement of {@code forwardTile} that runs the step over the tile's {@code n} samples. */
  default CodeBlock tileCall(Step step, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, $L, $L, n)", tileName(step), regions.tileInput(step), regions.tileOutput(step));
  }

  /**
   * For a step {@code trainTile} runs over its tile ({@code TrainingPlan.runsOverTiles}): {@code
   * <name>LogitsTile} where the loss takes its activation, {@code <name>Tile} too with {@code
   * withTile} (inference has none), and {@code <name>BackwardTile(p, x, xo, xStride, y, yo, yStride,
   * d, dOff, dStride, dx, dxo, dxStride, g, n)}, the backward pass of samples {@code s < n}, each
   * array's sample s a stride further on.
   */
  default List<MethodSpec> tileTraining(TrainingStep t, boolean withTile) {
    throw new UnsupportedOperationException(t.step().node().describe() + " trains sample by sample");
  }

  /** The statement of {@code trainTile} that runs the step forward over the tile. */
  default CodeBlock tileTrainingForwardCall(TrainingStep t, RegionNames regions) {
    Step step = t.step();
    return CodeBlock.of(
        "$N(p, $L, TRAINING_WORKSPACE_SIZE, ws, $L, TRAINING_WORKSPACE_SIZE, n)",
        logits(t) ? logitsName(step) + "Tile" : tileName(step), regions.trainingInputs(t),
        regions.trainingOutput(t));
  }

  /** The statement of {@code trainTile} that runs the step backward over the tile. */
  default CodeBlock tileBackwardCall(TrainingStep t, RegionNames regions) {
    String stride = "TRAINING_WORKSPACE_SIZE";
    return CodeBlock.of(
        "$N(p, $L, $L, $L, $L, ws, $L, $L, ws, $L, $L, g, n)", backwardName(t.step()) + "Tile",
        regions.trainingInputs(t), stride, regions.trainingLocation(t), stride, regions.gradient(t),
        stride, regions.inputGradient(t, 0), stride);
  }

  /** The methods training adds for step {@code index}: a logits variant, the backward pass. */
  default List<MethodSpec> training(TrainingStep t, int index) {
    Step step = t.step();
    List<MethodSpec> methods = new ArrayList<>();
    if (t.forward() && logits(t)) {
      methods.add(forward(step, logitsName(step), false).get(0));
    }
    if (t.backward()) {
      methods.addAll(backward(step, t));
    }
    return methods;
  }

  /** The statement of a training pass that runs the step forward, with p and noise in scope. */
  default CodeBlock trainingForwardCall(TrainingStep t, RegionNames regions) {
    Step step = t.step();
    return CodeBlock.of(
        "$N(p, $L, ws, $L)", logits(t) ? logitsName(step) : forwardName(step),
        regions.trainingInputs(t), regions.trainingOutput(t));
  }

  /** The statement of a training pass that runs the step backward. */
  default CodeBlock backwardCall(TrainingStep t, RegionNames regions) {
    return CodeBlock.of(
        "$N(p, $L, $L, ws, $L, ws, $L, g)", backwardName(t.step()), regions.trainingInputs(t),
        regions.trainingLocation(t), regions.gradient(t), regions.inputGradient(t, 0));
  }

  /**
   * {@code name(p, s, f)}: this layer folded into the {@code producer} before it, in the copy
   * {@code f} of the parameters {@code p}, for the kinds whose op {@code foldsIntoProducer()}.
   */
  default MethodSpec foldInto(String name, Step producer, Step step) {
    throw new UnsupportedOperationException(step.node().describe() + " does not fold");
  }

  /**
   * {@code name(p, x, xo, t, to, y, yo)}: this layer and the {@code pool} after it in one
   * inference method, for the kinds whose op {@code takesPoolFusion} ({@code Plan.PoolFusion}).
   */
  default MethodSpec withPool(String name, Step step, Step pool) {
    throw new UnsupportedOperationException(step.node().describe() + " takes no pool");
  }

  /** The statements of {@code create(seed)} that initialize its parameters ({@code p, random}). */
  default CodeBlock initialize(Step step) {
    return CodeBlock.builder().build();
  }

  // ---- Names and arguments every layer shares ------------------------------------------------

  static String forwardName(Step step) {
    return step.node().name() + "Forward";
  }

  static String tileName(Step step) {
    return step.node().name() + "Tile";
  }

  static String backwardName(Step step) {
    return step.node().name() + "Backward";
  }

  /** The forward method without the activation the loss applies: {@code <name>Logits}. */
  static String logitsName(Step step) {
    return step.node().name() + "Logits";
  }

  /** Whether the step's fused activation is left to the loss (its forward runs as logits). */
  static boolean logits(TrainingStep t) {
    return t.lossActivation() && t.step().node().activation().isPresent();
  }

  /**
   * {@code static void name(p, x, xo, xStride, y, yo, yStride, n)}: a step over a tile of {@code n}
   * samples, each array's sample s a stride further on ({@link #tileInference}).
   */
  static MethodSpec.Builder tileMethod(String name) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(javax.lang.model.element.Modifier.STATIC)
        .addParameter(float[].class, "p")
        .addParameter(float[].class, "x")
        .addParameter(int.class, "xo")
        .addParameter(int.class, "xStride")
        .addParameter(float[].class, "y")
        .addParameter(int.class, "yo")
        .addParameter(int.class, "yStride")
        .addParameter(int.class, "n");
  }

  /** The common signature and a javadoc line with the layer's description and shapes. */
  static MethodSpec.Builder forwardMethod(String name, Step step, String layout) {
    return layerMethod(name, "", step, layout);
  }

  /** The common backward signature: the forward one, then the gradients. */
  static MethodSpec.Builder backwardMethod(Step step, String layout) {
    return layerMethod(backwardName(step), "Gradients of ", step, layout)
        .addParameter(float[].class, "d")
        .addParameter(int.class, "dOff")
        .addParameter(float[].class, "dx")
        .addParameter(int.class, "dxo")
        .addParameter(float[].class, "g");
  }

  /** {@code static void name(float[] p, float[] x, int xo, float[] y, int yo)} with its javadoc. */
  private static MethodSpec.Builder layerMethod(String name, String what, Step step, String layout) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(javax.lang.model.element.Modifier.STATIC)
        .addJavadoc(
            "$L$L: $L, $L -> $L.\n", what, step.node().name(), step.node().describe(),
            step.node().input(), step.node().output())
        .addJavadoc("$L\n", layout)
        .addParameter(float[].class, "p")
        .addParameter(float[].class, "x")
        .addParameter(int.class, "xo")
        .addParameter(float[].class, "y")
        .addParameter(int.class, "yo");
  }

  /** The step's weights, {@code C1_WEIGHTS}, to index the parameters with. */
  static Ix weights(Step step) {
    return Ix.named(step.weightConstant());
  }

  /** The step's bias, {@code C1_BIAS} (a folded step's is its BatchNorm's). */
  static Ix bias(Step step) {
    return Ix.named(step.biasConstant());
  }

  /** A kernel's bias argument: the bias constant, or -1 for none. */
  static String biasArgument(Step step) {
    return step.biasOffset() >= 0 ? step.biasConstant() : "-1";
  }

  /** The step's moving statistics in the state array, {@code BN1_STATE}. */
  static Ix state(Step step) {
    return Ix.named(step.stateConstant());
  }

  /** E.g. {@code "p[0..150)"}. */
  static String range(int offset, long count) {
    return "p[" + offset + ".." + (offset + count) + ")";
  }

  /**
   * Random weights drawn as {@code init} says, scaled by the layer's fan-in and fan-out, and
   * a bias that is zero unless {@code biasInit} says otherwise: {@code create}'s code for the
   * kinds with trained weights.
   */
  static CodeBlock randomInitialization(Step step, Init init, BiasInit biasInit) {
    Node node = step.node();
    String method =
        switch (init) {
          case GLOROT_UNIFORM -> "glorotUniform";
          case GLOROT_NORMAL -> "glorotNormal";
          case HE_UNIFORM -> "heUniform";
          case HE_NORMAL -> "heNormal";
          case STANDARD_NORMAL -> "standardNormal";
        };
    CodeBlock.Builder code = CodeBlock.builder();
    code.addStatement(
        "$T.$L(p, $L_WEIGHTS, $L, $L, $L, random)", Names.INITIALIZER, method,
        step.constantPrefix(), node.weightCount(), node.fanIn(), node.fanOut());
    if (biasInit == BiasInit.STANDARD_NORMAL) {
      code.addStatement(
          "$T.standardNormal(p, $L_BIAS, $L, $L, $L, random)", Names.INITIALIZER,
          step.constantPrefix(), node.output().channels(), node.fanIn(), node.fanOut());
    }
    return code.build();
  }
}
