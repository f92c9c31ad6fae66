package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.List;

/**
 * Layers that only transform values elementwise at inference: an activation on a field of its
 * own, or a Flatten or Dropout field that carries an activation (both are otherwise no-ops at
 * inference and get no method).
 */
final class ActivationLayerEmitter implements LayerEmitter {

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    Activation activation =
        node.op() instanceof Op.Activate a ? a.activation() : node.activation().orElseThrow();
    MethodSpec.Builder method =
        LayerEmitter.forwardMethod(
            name,
            step,
            "No parameters; may run in place (x == y, xo == yo).");
    method.addCode(
        ActivationEmitter.apply(activation, "x", "xo", "y", "yo", (int) node.output().size()));
    return List.of(method.build());
  }

  /** The activation's derivative, in place: the gradient of the input replaces {@code d}. */
  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    Activation activation =
        node.op() instanceof Op.Activate a ? a.activation() : node.activation().orElseThrow();
    MethodSpec.Builder method =
        LayerEmitter.backwardMethod(step, "No parameters; works in place on d (dx is d).");
    method.addCode(
        ActivationEmitter.derivative(activation, "y", "yo", "d", "dOff", (int) node.output().size()));
    return List.of(method.build());
  }
}
