package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import java.util.Arrays;
import java.util.List;

/**
 * Dense: {@code y = x · W + b} with {@code W} stored {@code [in, out]}. The outer loop walks the
 * inputs and the inner loop adds one row of {@code W} to the outputs, so both arrays are read
 * contiguously.
 */
final class DenseEmitter implements LayerEmitter {

  @Override
  public List<MethodSpec> forward(Step step) {
    Node node = step.node();
    Op.Dense dense = (Op.Dense) node.op();
    int inputs = (int) node.input().size();
    int units = dense.units();
    MethodSpec.Builder method =
        LayerEmitter.forwardMethod(
            LayerEmitter.forwardName(step),
            step,
            "Weights "
                + LayerEmitter.range(step.weightOffset(), node.weightCount())
                + " "
                + Arrays.toString(node.weightShape())
                + (step.biasOffset() >= 0
                    ? ", bias " + LayerEmitter.range(step.biasOffset(), node.biasCount())
                    : ", no bias")
                + ".");
    method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
    method.addStatement(
        "y[yo + o] = $L", step.biasOffset() >= 0 ? "p[" + Ix.constant(step.biasOffset()).plus("o") + "]" : "0f");
    method.endControlFlow();
    method.beginControlFlow("for (int i = 0; i < $L; i++)", inputs);
    method.addStatement("float xv = x[xo + i]");
    method.addStatement("int wi = $L", Ix.constant(step.weightOffset()).plus("i", units));
    method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
    method.addStatement("y[yo + o] += xv * p[wi + o]");
    method.endControlFlow();
    method.endControlFlow();
    node.activation()
        .ifPresent(a -> method.addCode(ActivationEmitter.apply(a, "y", "yo", "y", "yo", units)));
    return List.of(method.build());
  }
}
