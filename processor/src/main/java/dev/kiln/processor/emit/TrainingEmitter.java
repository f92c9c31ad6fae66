package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
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
    if (training.tile() > 1) {
      addTrainTile(type, training, regions);
    }

    List<TrainingStep> steps = training.steps();
    for (int i = 0; i < steps.size(); i++) {
      TrainingStep t = steps.get(i);
      JavaLayers.of(t.step().node().op()).training(t, i).forEach(type::addMethod);
      if (training.runsOverTiles(i)) {
        JavaLayers.of(t.step().node().op())
            .tileTraining(t, !training.plan().runsOverTiles(i))
            .forEach(type::addMethod);
      }
    }
  }

  /**
   * {@code trainTile}: the samples of a tile, each with a training workspace of its own, forward
   * layer by layer where a layer runs over tiles (once for the tile) and sample by sample through
   * the layers between; each sample's loss; then backward the same way.
   */
  private static void addTrainTile(TypeSpec.Builder type, TrainingPlan training, RegionNames regions) {
    Plan plan = training.plan();
    type.addField(
        FieldSpec.builder(int.class, "TRAINING_TILE", Modifier.STATIC, Modifier.FINAL)
            .addJavadoc(
                "Samples per trainTile: as many training workspaces as fit 16 MiB, at most 24, from"
                    + " six on a multiple of six.\n")
            .initializer("$L", training.tile())
            .build());
    type.addMethod(Names.getter("trainingTile", int.class, CodeBlock.of("TRAINING_TILE")));
    MethodSpec.Builder method =
        MethodSpec.methodBuilder("trainTile")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC)
            .addParameter(float[].class, "x")
            .addParameter(int[].class, "xOffsets")
            .addParameter(int.class, "n")
            .addParameter(float[].class, "target")
            .addParameter(float[].class, "prediction")
            .addParameter(float[].class, "g")
            .addParameter(float[].class, "ws")
            .addParameter(long[].class, "noises")
            .addParameter(float[].class, "losses");
    method.addStatement(
        "$T.trainTile($S, x, xOffsets, n, TRAINING_TILE, INPUT_SIZE, target, prediction, OUTPUT_SIZE,"
            + " g, PARAMETER_COUNT, ws, TRAINING_WORKSPACE_SIZE, noises, losses)",
        Names.CHECKS, plan.model().generatedName());
    method.addStatement("float[] p = parameters");
    method.addComment("No weight changes during the tile: kernels may keep what they derive from them.");
    method.addStatement("$T.holdWeights(true)", Names.KERNELS);
    method.beginControlFlow("try");
    RegionNames sample = regions.forSample("at", "xs");
    List<TrainingStep> steps = training.steps();
    method.addComment("Forward, keeping every sample's layer outputs for the backward pass.");
    int i = 0;
    while (i < steps.size()) {
      if (training.runsOverTiles(i)) {
        TrainingStep t = steps.get(i);
        method.addStatement("$L", JavaLayers.of(t.step().node().op()).tileTrainingForwardCall(t, regions));
        i++;
        continue;
      }
      int from = i;
      while (i < steps.size() && !training.runsOverTiles(i)) {
        i++;
      }
      List<TrainingStep> group = steps.subList(from, i);
      beginSample(method, group, true);
      group.forEach(t -> forwardStatement(method, t, sample));
      method.endControlFlow();
    }
    method.addComment("Each sample's loss, prediction and the gradient of its last output.");
    method.beginControlFlow("for (int k = 0; k < n; k++)");
    method.addStatement("int at = k * TRAINING_WORKSPACE_SIZE");
    method.addStatement("int to = k * OUTPUT_SIZE");
    method.addStatement("int po = to");
    method.addStatement("losses[k] = $L", lossExpression(training, sample));
    method.endControlFlow();
    method.addComment("Backward: d holds the gradient of each layer's output, g collects.");
    i = steps.size() - 1;
    while (i >= 0) {
      TrainingStep t = steps.get(i);
      if (training.runsOverTiles(i)) {
        if (t.backward()) {
          method.addStatement("$L", JavaLayers.of(t.step().node().op()).tileBackwardCall(t, regions));
        }
        if (!t.transfers().isEmpty()) {
          beginSample(method, List.of(t), false);
          transfers(method, t, sample);
          method.endControlFlow();
        }
        i--;
        continue;
      }
      int to = i;
      while (i >= 0 && !training.runsOverTiles(i)) {
        i--;
      }
      List<TrainingStep> group = steps.subList(i + 1, to + 1);
      beginSample(method, group, false);
      for (int j = group.size() - 1; j >= 0; j--) {
        backwardStatements(method, group.get(j), sample);
      }
      method.endControlFlow();
    }
    method.nextControlFlow("finally");
    method.addStatement("$T.holdWeights(false)", Names.KERNELS);
    method.endControlFlow();
    type.addMethod(method.build());
  }

  /**
   * Opens the loop over a tile's samples with the locals {@code group}'s calls use: {@code at}
   * (the sample's workspace), {@code xs} (its input) where a step reads the input, and in the
   * forward pass {@code noise} (its dropout seed) where a step keeps a mask.
   */
  private static void beginSample(MethodSpec.Builder method, List<TrainingStep> group, boolean forward) {
    method.beginControlFlow("for (int k = 0; k < n; k++)");
    method.addStatement("int at = k * TRAINING_WORKSPACE_SIZE");
    if (group.stream().anyMatch(t -> t.step().node().sources().contains(Node.NETWORK_INPUT))) {
      method.addStatement("int xs = xOffsets[k]");
    }
    if (forward && group.stream().anyMatch(t -> t.maskOffset() >= 0)) {
      method.addStatement("long noise = noises[k]");
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
