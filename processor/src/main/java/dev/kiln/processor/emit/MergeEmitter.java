package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * The merges, {@code Add} and {@code Concat}. Forward: {@code <name>Forward(p, x0, x0o, x1, x1o,
 * ..., y, yo)}, one array and offset per source. Backward: an Add gives every source its output's
 * gradient unchanged (after its fused activation's derivative, in place on {@code d}), so the
 * training plan hands that region on; a Concat copies each source's channels of {@code d} to the
 * region the plan gives that source.
 */
record MergeEmitter(Op.Merge merge) implements JavaLayer {

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    return List.of(forwardMethod(step, name, withActivation));
  }

  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    return List.of(backwardMethod(step, training));
  }

  /**
   * The backward call: {@code (y, yo, d, dOff)}, and for a Concat {@code dx} and an offset per
   * source.
   */
  @Override
  public CodeBlock backwardCall(TrainingPlan.TrainingStep t, RegionNames regions) {
    StringBuilder arguments =
        new StringBuilder("ws, " + regions.trainingOutput(t) + ", ws, " + regions.gradient(t));
    if (merge.merge() == Op.MergeKind.CONCAT) {
      arguments.append(", ws");
      for (int k = 0; k < t.inputGradients().size(); k++) {
        arguments.append(", ").append(regions.inputGradient(t, k));
      }
    }
    return CodeBlock.of("$N($L)", JavaLayer.backwardName(t.step()), arguments);
  }

  private MethodSpec forwardMethod(Step step, String name, boolean withActivation) {
    Node node = step.node();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(name)
            .addModifiers(Modifier.STATIC)
            .addJavadoc(
                "$L: $L of $L -> $L.\n", node.name(), node.describe(), node.inputs(), node.output())
            .addParameter(float[].class, "p");
    for (int k = 0; k < node.inputs().size(); k++) {
      method.addParameter(float[].class, "x" + k).addParameter(int.class, "x" + k + "o");
    }
    method.addParameter(float[].class, "y").addParameter(int.class, "yo");
    int n = (int) node.output().size();
    boolean sumWithRelu = merge.merge() == Op.MergeKind.ADD && node.inputs().size() == 2 && withActivation
        && node.activation().filter(a -> a.kind() == Activation.Kind.RELU).isPresent();
    if (sumWithRelu) {
      // A residual block's end: the sum and its ReLU in one pass (the same bits as two).
      method.addJavadoc("The sum and its ReLU; y may be x0 (in place).\n");
      method.addStatement("$T.addRelu(x0, x0o, x1, x1o, y, yo, $L)", Names.KERNELS, n);
      return method.build();
    }
    if (merge.merge() == Op.MergeKind.ADD) {
      method.addJavadoc("The sum; y may be x0 (in place).\n");
      method.addStatement("$T.add(x0, x0o, x1, x1o, y, yo, $L)", Names.KERNELS, n);
      for (int k = 2; k < node.inputs().size(); k++) {
        method.addStatement("$T.add(y, yo, x$L, x$Lo, y, yo, $L)", Names.KERNELS, k, k, n);
      }
    } else {
      TensorShape out = node.output();
      method.addJavadoc("Channels side by side, per pixel: $L.\n", channelRanges(node));
      method.beginControlFlow("for (int px = 0; px < $L; px++)", out.size() / out.channels());
      int at = 0;
      for (int k = 0; k < node.inputs().size(); k++) {
        int c = node.inputs().get(k).channels();
        method.addStatement(
            "$T.arraycopy(x$L, x$Lo + px * $L, y, yo + px * $L + $L, $L)", System.class, k, k, c,
            out.channels(), at, c);
        at += c;
      }
      method.endControlFlow();
    }
    method.addCode(ActivationEmitter.fused(node, withActivation));
    return method.build();
  }

  /**
   * {@code <name>Backward(y, yo, d, dOff, dx, dx0o, dx1o, ...)}: the fused activation's
   * derivative on {@code d}; for a Concat, each source's channels copied to {@code dx} at its
   * offset (a source without a gradient gets -1 and is skipped).
   */
  private MethodSpec backwardMethod(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(JavaLayer.backwardName(step))
            .addModifiers(Modifier.STATIC)
            .addJavadoc("Gradients of $L: $L of $L -> $L.\n", node.name(), node.describe(),
                node.inputs(), node.output())
            .addParameter(float[].class, "y")
            .addParameter(int.class, "yo")
            .addParameter(float[].class, "d")
            .addParameter(int.class, "dOff");
    method.addCode(ActivationEmitter.fusedDerivative(node, !training.lossActivation()));
    if (merge.merge() == Op.MergeKind.CONCAT) {
      method.addParameter(float[].class, "dx");
      for (int k = 0; k < node.inputs().size(); k++) {
        method.addParameter(int.class, "dx" + k + "o");
      }
      TensorShape out = node.output();
      method.beginControlFlow("for (int px = 0; px < $L; px++)", out.size() / out.channels());
      int at = 0;
      for (int k = 0; k < node.inputs().size(); k++) {
        int c = node.inputs().get(k).channels();
        if (training.inputGradients().get(k) >= 0) {
          method.addStatement(
              "$T.arraycopy(d, dOff + px * $L + $L, dx, dx$Lo + px * $L, $L)", System.class,
              out.channels(),
              at, k, c, c);
        }
        at += c;
      }
      method.endControlFlow();
    }
    return method.build();
  }

  /** E.g. {@code "channels 0..16 from a, 16..48 from b"}. */
  private static String channelRanges(Node node) {
    StringBuilder text = new StringBuilder("channels ");
    int at = 0;
    for (int k = 0; k < node.inputs().size(); k++) {
      int c = node.inputs().get(k).channels();
      text.append(k > 0 ? ", " : "").append(at).append("..").append(at + c).append(" from input ").append(k);
      at += c;
    }
    return text.toString();
  }
}
