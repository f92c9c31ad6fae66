package dev.kiln.processor.emit;

import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.plan.Step;
import java.util.List;

/**
 * Writes the Java code of one layer kind. Every layer gets a method {@code <name>Forward(float[]
 * p, float[] x, int xo, float[] y, int yo)}: parameters {@code p}, input at {@code x[xo..]},
 * output at {@code y[yo..]}; some kinds add helper methods so that no method grows large.
 */
interface LayerEmitter {

  /** The forward method first, then any helpers it calls. */
  List<MethodSpec> forward(Step step);

  static String forwardName(Step step) {
    return step.node().name() + "Forward";
  }

  /** The common signature and a javadoc line with the layer's description and shapes. */
  static MethodSpec.Builder forwardMethod(String name, Step step, String layout) {
    return MethodSpec.methodBuilder(name)
        .addModifiers(javax.lang.model.element.Modifier.STATIC)
        .addJavadoc(
            "$L: $L, $L -> $L.\n", step.node().name(), step.node().describe(),
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
