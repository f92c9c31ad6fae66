package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes {@code trainBatch} for networks with BatchNorm, which need the whole batch at each
 * BatchNorm. The training steps are cut at every BatchNorm into phases; a phase runs on every
 * sample in parallel ({@code Batch.forEach}, one method {@code trainPhaseN} per phase), and
 * between phases the BatchNorm's statistics (forward) or gradient sums (backward) are reduced,
 * the channels split over the threads ({@code Batch.forEachRange}) and each channel summed over
 * the samples and pixels in order, so the result is the same for any number of threads.
 *
 * <pre>
 * phase 0       forward up to the first BatchNorm
 * statistics    of BatchNorm 1 (and its moving averages)
 * phase 1       BatchNorm 1 normalizes, forward up to BatchNorm 2
 * ...
 * phase m       the last BatchNorm normalizes, forward to the loss, backward down to it
 * gradient sums of the last BatchNorm
 * phase m+1     its input gradient, backward down to the BatchNorm before
 * ...
 * </pre>
 */
final class BatchTrainingEmitter {
  private BatchTrainingEmitter() {}

  static void emit(TypeSpec.Builder type, TrainingPlan training, RegionNames regions) {
    List<TrainingStep> steps = training.steps();
    List<Integer> norms = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).statisticsOffset() >= 0) { // a BatchNorm: the batch's statistics
        norms.add(i);
      }
    }
    type.addField(
        FieldSpec.builder(int.class, "BATCH_STATISTICS_SIZE", Modifier.STATIC, Modifier.FINAL)
            .addJavadoc("Floats of batch statistics: per BatchNorm, mean, 1 / sigma, sum dy, sum dy xhat.\n")
            .initializer("$L", training.statisticsSize())
            .build());
    type.addMethod(Names.getter("batchStatistics", boolean.class, CodeBlock.of("true")));
    type.addMethod(
        Names.getter("batchStatisticsSize", int.class, CodeBlock.of("BATCH_STATISTICS_SIZE")));
    MethodSpec.Builder trainBatch =
        MethodSpec.methodBuilder("trainBatch")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC)
            .addParameter(Names.BATCH, "batch")
            .addStatement("float[] p = parameters")
            .addStatement("float[] s = state")
            .addStatement("float[] st = batch.statistics()");
    int phase = 0;
    // Forward: phase 0 up to the first BatchNorm, then one phase from each BatchNorm on.
    MethodSpec.Builder current = body();
    int m = norms.size();
    for (int i = 0; i < steps.size(); i++) {
      TrainingStep t = steps.get(i);
      if (norms.contains(i)) {
        type.addMethod(phase(phase, current));
        call(trainBatch, phase++);
        trainBatch.addStatement(
            "batch.forEachRange($L, (from, to) -> $N(batch, s, from, to))",
            t.step().node().output().channels(), BatchNormEmitter.statisticsName(t.step()));
        current = body();
        TrainingEmitter.forwardStatement(current, t, regions);
      } else {
        TrainingEmitter.forwardStatement(current, t, regions);
      }
    }
    current.addStatement("float loss = $L", TrainingEmitter.lossExpression(training, regions));
    current.addStatement("batch.setLoss(i, loss)");
    // Backward: from the loss down, cut at each BatchNorm for its gradient sums.
    for (int i = steps.size() - 1; i >= 0; i--) {
      TrainingStep t = steps.get(i);
      if (!norms.contains(i)) {
        TrainingEmitter.backwardStatements(current, t, regions);
        continue;
      }
      if (!t.backward()) {
        TrainingEmitter.transfers(current, t, regions);
        continue;
      }
      CodeBlock perSample = JavaLayers.of(t.step().node().op()).backwardCall(t, regions);
      if (!perSample.isEmpty()) {
        current.addStatement("$L", perSample);
      }
      type.addMethod(phase(phase, current));
      call(trainBatch, phase++);
      trainBatch.addStatement(
          "batch.forEachRange($L, (from, to) -> $N(batch, from, to))",
          t.step().node().output().channels(), BatchNormEmitter.gradientSumsName(t.step()));
      current = body();
      current.addStatement("$L", BatchNormEmitter.inputGradientCall(t, regions));
      TrainingEmitter.transfers(current, t, regions);
    }
    type.addMethod(phase(phase, current));
    call(trainBatch, phase);
    type.addMethod(trainBatch.build());
  }

  /** Collects a phase's statements; {@link #phase} wraps them in a method. */
  private static MethodSpec.Builder body() {
    return MethodSpec.methodBuilder("body");
  }

  /** The sample's data a phase's statements may read, declared only where they do. */
  private static final String[][] LOCALS = {
    {"x", "float[] x = batch.inputs()"},
    {"xo", "int xo = batch.inputOffset(i)"},
    {"noise", "long noise = batch.noise(i)"},
    {"target", "float[] target = batch.targets()"},
    {"to", "int to = batch.targetOffset(i)"},
    {"prediction", "float[] prediction = batch.predictions()"},
    {"po", "int po = batch.predictionOffset(i)"},
  };

  /** A phase method: one sample's share of the work between two batch-wide reductions. */
  private static MethodSpec phase(int phase, MethodSpec.Builder body) {
    CodeBlock code = body.build().code();
    String text = code.toString();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder("trainPhase" + phase)
            .addModifiers(Modifier.STATIC)
            .addJavadoc("Phase $L of trainBatch for sample i (see trainBatch).\n", phase)
            .addParameter(float[].class, "p")
            .addParameter(float[].class, "st")
            .addParameter(Names.BATCH, "batch")
            .addParameter(int.class, "i")
            .addParameter(float[].class, "ws")
            .addParameter(float[].class, "g");
    for (String[] local : LOCALS) {
      if (java.util.regex.Pattern.compile("\\b" + local[0] + "\\b").matcher(text).find()) {
        method.addStatement(local[1]);
      }
    }
    return method.addCode(code).build();
  }

  private static void call(MethodSpec.Builder trainBatch, int phase) {
    trainBatch.addStatement(
        "batch.forEach((i, ws, g) -> trainPhase$L(p, st, batch, i, ws, g))", phase);
  }
}
