package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes the Java code of one layer kind. Every layer gets a method {@code <name>Forward(float[]
 * p, float[] x, int xo, float[] y, int yo)}: parameters {@code p}, input at {@code x[xo..]},
 * output at {@code y[yo..]}; some kinds add helper methods so that no method grows large.
 */
interface LayerEmitter {

  /** The forward method first, then any helpers it calls. */
  default List<MethodSpec> forward(Step step) {
    return forward(step, forwardName(step), true);
  }

  /**
   * A forward method named {@code name}; without its fused activation for the last layer in
   * training, where the loss applies Softmax or Sigmoid to the logits itself.
   */
  List<MethodSpec> forward(Step step, String name, boolean withActivation);

  /**
   * The backward method {@code <name>Backward(p, x, xo, y, yo, d, dOff, dx, dxo, g)}: {@code
   * d[dOff..]} holds the gradient of the output {@code y} (it is overwritten), {@code dx[dxo..]}
   * receives the gradient of the input {@code x} if the step computes it, and the parameter
   * gradients are added into {@code g}.
   */
  List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training);

  static String backwardName(Step step) {
    return step.node().name() + "Backward";
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

  /**
   * {@code base}, with underscores added until no layer of {@code plan} has that name: a name for
   * a generated step whose methods cannot meet a layer's.
   */
  static String unusedName(Plan plan, String base) {
    Set<String> layers = plan.steps().stream().map(s -> s.node().name()).collect(Collectors.toSet());
    String name = base;
    while (layers.contains(name)) {
      name += "_";
    }
    return name;
  }

  static String forwardName(Step step) {
    return step.node().name() + "Forward";
  }

  /** The common signature and a javadoc line with the layer's description and shapes. */
  static MethodSpec.Builder forwardMethod(String name, Step step, String layout) {
    return layerMethod(name, "", step, layout);
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

  /** E.g. {@code "p[0..150)"}. */
  static String range(int offset, long count) {
    return "p[" + offset + ".." + (offset + count) + ")";
  }
}
