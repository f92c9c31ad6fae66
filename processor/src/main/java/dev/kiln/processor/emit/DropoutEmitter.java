package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Inverted dropout in training: each value is kept with probability {@code 1 - rate} and scaled
 * by {@code 1 / (1 - rate)}, so inference needs no scaling. The mask comes from a SplitMix64
 * stream seeded per sample and per layer, so results do not depend on threads or timing.
 */
record DropoutEmitter(Op.Dropout dropout) implements JavaLayer {

  private static String trainForwardName(Step step) {
    return step.node().name() + "TrainForward";
  }

  /** At inference only its fused activation runs, if it has one. */
  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    return List.of(ActivationEmitter.layerForward(step, name));
  }

  @Override
  public List<MethodSpec> training(TrainingStep t, int index) {
    List<MethodSpec> methods = new ArrayList<>();
    if (t.forward()) {
      methods.add(trainForward(t.step(), index, !t.lossActivation()));
    }
    if (t.backward()) {
      methods.add(backward(t.step(), !t.lossActivation()));
    }
    return methods;
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingStep training) {
    return List.of(backward(step, !training.lossActivation()));
  }

  @Override
  public CodeBlock trainingForwardCall(TrainingStep t, RegionNames regions) {
    return CodeBlock.of(
        "$N($L, ws, $L, ws, $L, noise)", trainForwardName(t.step()), regions.trainingInputs(t),
        regions.trainingOutput(t), regions.mask(t));
  }

  @Override
  public CodeBlock backwardCall(TrainingStep t, RegionNames regions) {
    return CodeBlock.of(
        "$N(ws, $L, ws, $L, ws, $L)", JavaLayer.backwardName(t.step()), regions.trainingOutput(t),
        regions.mask(t), regions.gradient(t));
  }

  /**
   * @param withActivation false for the last layer when the loss applies its Softmax or Sigmoid
   *     to the logits itself
   */
  private MethodSpec trainForward(Step step, int layerIndex, boolean withActivation) {
    Node node = step.node();
    int n = (int) node.output().size();
    float scale = (float) (1.0 / (1.0 - dropout.rate()));
    long salt = (layerIndex + 1) * 0xD1B54A32D192ED03L;
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(trainForwardName(step))
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "$L: $L in training, $L: keeps each value with probability $L, scaled by $L.\n",
                node.name(), node.describe(), node.input(), 1 - dropout.rate(), scale)
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo")
            .addParameter(float[].class, "mask")
            .addParameter(int.class, "mo")
            .addParameter(long.class, "noise");
    method.addStatement("long state = noise ^ $LL", salt);
    method.beginControlFlow("for (int i = 0; i < $L; i++)", n);
    method.addComment("SplitMix64: 24 random bits give a uniform float in [0, 1).");
    method.addStatement("state += 0x9E3779B97F4A7C15L");
    method.addStatement("long z = state");
    method.addStatement("z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L");
    method.addStatement("z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL");
    method.addStatement("z ^= z >>> 31");
    method.addStatement(
        "float keep = (z >>> 40) * 0x1.0p-24f < $Lf ? 0f : $Lf", (float) dropout.rate(), scale);
    method.addStatement("mask[mo + i] = keep");
    method.addStatement("y[yo + i] = x[xo + i] * keep");
    method.endControlFlow();
    method.addCode(ActivationEmitter.fused(node, withActivation));
    return method.build();
  }

  /** The input gradient is the output gradient times the mask, in place. */
  private static MethodSpec backward(Step step, boolean withActivation) {
    Node node = step.node();
    int n = (int) node.output().size();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(JavaLayer.backwardName(step))
            .addModifiers(Modifier.STATIC)
            .addJavadoc("Gradient of $L: $L; in place on d.\n", node.name(), node.describe())
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo")
            .addParameter(float[].class, "mask")
            .addParameter(int.class, "mo")
            .addParameter(float[].class, "d")
            .addParameter(int.class, "dOff");
    method.addCode(ActivationEmitter.fusedDerivative(node, withActivation));
    method.beginControlFlow("for (int i = 0; i < $L; i++)", n);
    method.addStatement("d[dOff + i] *= mask[mo + i]");
    method.endControlFlow();
    return method.build();
  }
}
