package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes the training half of a model: {@code trainSample}, which runs one sample forward in
 * training mode, applies the loss and runs backward, and the per-layer backward methods it calls.
 */
final class TrainingEmitter {
  private static final ClassName LOSS = Names.LOSS;

  private TrainingEmitter() {}

  static void emit(TypeSpec.Builder type, TrainingPlan training, RegionNames regions) {
    type.addField(
        FieldSpec.builder(int.class, "TRAINING_WORKSPACE_SIZE", Modifier.STATIC, Modifier.FINAL)
            .addJavadoc(
                "Scratch floats per training thread: every layer's output, dropout masks, and the"
                    + " gradients\nstill to be used.\n")
            .initializer("$L", training.workspaceSize())
            .build());
    type.addMethod(
        MethodSpec.methodBuilder("loss")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC)
            .returns(LOSS)
            .addStatement("return $T.$L", LOSS, training.loss())
            .build());
    type.addMethod(
        MethodSpec.methodBuilder("trainingWorkspaceSize")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC)
            .returns(int.class)
            .addStatement("return TRAINING_WORKSPACE_SIZE")
            .build());
    type.addMethod(trainSample(training, regions));
    if (training.plan().batchStatistics()) {
      BatchTrainingEmitter.emit(type, training, regions);
    }

    List<TrainingStep> steps = training.steps();
    for (int i = 0; i < steps.size(); i++) {
      TrainingStep t = steps.get(i);
      JavaLayers.of(t.step().node().op()).training(t, i).forEach(type::addMethod);
    }
  }

  private static MethodSpec trainSample(TrainingPlan training, RegionNames regions) {
    Plan plan = training.plan();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder("trainSample")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC)
            .returns(float.class)
            .addParameter(float[].class, "x")
            .addParameter(int.class, "xo")
            .addParameter(float[].class, "target")
            .addParameter(int.class, "to")
            .addParameter(float[].class, "prediction")
            .addParameter(int.class, "po")
            .addParameter(float[].class, "g")
            .addParameter(float[].class, "ws")
            .addParameter(long.class, "noise");
    if (plan.batchStatistics()) {
      return method
          .addStatement(
              "throw new $T($S)", UnsupportedOperationException.class,
              plan.model().simpleName() + " normalizes by batch statistics (BatchNorm): it trains a"
                  + " batch at a time with trainBatch")
          .build();
    }
    method.addStatement(
        "$T.trainSample($S, x, xo, INPUT_SIZE, target, to, OUTPUT_SIZE, prediction, po, g,"
            + " PARAMETER_COUNT, ws, TRAINING_WORKSPACE_SIZE)",
        Names.CHECKS,
        plan.model().generatedName());
    method.addStatement("float[] p = parameters");
    method.addComment("Forward, keeping every layer's output for the backward pass.");
    for (TrainingStep t : training.steps()) {
      forwardStatement(method, t, regions);
    }
    method.addStatement("float loss = $L", lossExpression(training, regions));
    method.addComment("Backward: d holds the gradient of each layer's output, g collects.");
    List<TrainingStep> steps = training.steps();
    for (int i = steps.size() - 1; i >= 0; i--) {
      backwardStatements(method, steps.get(i), regions);
    }
    method.addStatement("return loss");
    return method.build();
  }

  /**
   * One step's forward call in training, reading the sample at {@code x[xo..]} into {@code ws},
   * with {@code p} and {@code noise} in scope (a comment for a step with nothing to do).
   */
  static void forwardStatement(MethodSpec.Builder method, TrainingStep t, RegionNames regions) {
    Node node = t.step().node();
    if (!t.forward()) {
      method.addComment(
          "$L: $L", node.name(), t.lossActivation() ? "left to the loss" : "nothing to do");
      return;
    }
    method.addStatement("$L", JavaLayers.of(node.op()).trainingForwardCall(t, regions));
  }

  /** The loss of the sample, its prediction and the gradient of the last output. */
  static com.palantir.javapoet.CodeBlock lossExpression(TrainingPlan training, RegionNames regions) {
    TrainingStep last = training.steps().get(training.steps().size() - 1);
    return com.palantir.javapoet.CodeBlock.of(
        "$T.$L.compute($L, target, to, OUTPUT_SIZE, prediction, po, ws, $L)",
        LOSS,
        training.loss(),
        regions.trainingLocation(last),
        regions.gradient(last));
  }

  /** One step's backward call, then the transfers of the gradients it leaves. */
  static void backwardStatements(MethodSpec.Builder method, TrainingStep t, RegionNames regions) {
    backwardCall(method, t, regions);
    transfers(method, t, regions);
  }

  static void transfers(MethodSpec.Builder method, TrainingStep t, RegionNames regions) {
    for (TrainingPlan.Transfer transfer : t.transfers()) {
      String from = regions.inputGradient(t, transfer.input());
      String to = regions.transferTarget(t, transfer);
      if (transfer.add()) {
        method.addStatement(
            "$T.add(ws, $L, ws, $L, ws, $L, $L)", Names.KERNELS, to, from, to, transfer.size());
      } else {
        method.addStatement(
            "$T.arraycopy(ws, $L, ws, $L, $L)", System.class, from, to, transfer.size());
      }
    }
  }

  /** The call to a step's backward method, if it has one. */
  private static void backwardCall(MethodSpec.Builder method, TrainingStep t, RegionNames regions) {
    if (t.backward()) {
      method.addStatement("$L", JavaLayers.of(t.step().node().op()).backwardCall(t, regions));
    }
  }
}
