package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.List;

/**
 * Layers that only transform values elementwise: an activation on a field of its own, or a Flatten
 * that carries an activation (otherwise a no-op that gets no method).
 */
final class ActivationLayerEmitter implements JavaLayer {

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    return List.of(ActivationEmitter.layerForward(step, name));
  }

  /** The activation's derivative, in place: the gradient of the input replaces {@code d}. */
  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    Activation activation = node.activationFunction().orElseThrow();
    MethodSpec.Builder method =
        JavaLayer.backwardMethod(step, "No parameters; works in place on d (dx is d).");
    method.addCode(
        ActivationEmitter.derivative(activation, "y", "yo", "d", "dOff", (int) node.output().size()));
    return List.of(method.build());
  }
}
