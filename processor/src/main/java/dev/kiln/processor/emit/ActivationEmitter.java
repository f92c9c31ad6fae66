package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;

/**
 * Activation code over {@code n} values from {@code x[xo..]} to {@code y[yo..]} (which may be the
 * same region): used on its own for an activation field, and after a layer's loops when the
 * activation sits on the layer's field.
 */
final class ActivationEmitter {
  private ActivationEmitter() {}

  static CodeBlock apply(Activation activation, String x, String xo, String y, String yo, int n) {
    CodeBlock.Builder code = CodeBlock.builder();
    String in = x + "[" + xo + " + i]";
    String out = y + "[" + yo + " + i]";
    switch (activation.kind()) {
      case RELU -> code.addStatement("$T.relu($L, $L, $L, $L, $L)", Names.KERNELS, x, xo, y, yo, n);
      case RELU6 ->
          elementwise(code, n, out, CodeBlock.of("$T.min($T.max($L, 0f), 6f)", Math.class, Math.class, in));
      case LEAKY_RELU -> {
        code.beginControlFlow("for (int i = 0; i < $L; i++)", n);
        code.addStatement("float v = $L", in);
        code.addStatement("$L = v > 0f ? v : $Lf * v", out, (float) activation.alpha());
        code.endControlFlow();
      }
      case SIGMOID ->
          elementwise(code, n, out, CodeBlock.of("(float) (1.0 / (1.0 + $T.exp(-$L)))", Math.class, in));
      case TANH -> elementwise(code, n, out, CodeBlock.of("(float) $T.tanh($L)", Math.class, in));
      case SOFTMAX -> {
        code.add("// Softmax, stabilized by subtracting the largest logit.\n");
        code.addStatement("float max = $L[$L]", x, xo);
        code.beginControlFlow("for (int i = 1; i < $L; i++)", n);
        code.addStatement("max = $T.max(max, $L)", Math.class, in);
        code.endControlFlow();
        code.addStatement("float sum = 0f");
        code.beginControlFlow("for (int i = 0; i < $L; i++)", n);
        code.addStatement("float e = (float) $T.exp($L - max)", Math.class, in);
        code.addStatement("$L = e", out);
        code.addStatement("sum += e");
        code.endControlFlow();
        code.addStatement("float scale = 1f / sum");
        code.beginControlFlow("for (int i = 0; i < $L; i++)", n);
        code.addStatement("$L *= scale", out);
        code.endControlFlow();
      }
    }
    return code.build();
  }

  /**
   * Turns the gradient of an activation's output, {@code d[dOff..]}, into the gradient of its
   * input, in place, from the activation's output {@code y[yo..]}.
   */
  static CodeBlock derivative(Activation activation, String y, String yo, String d, String dOff, int n) {
    CodeBlock.Builder code = CodeBlock.builder();
    String out = y + "[" + yo + " + i]";
    String grad = d + "[" + dOff + " + i]";
    code.add("// $L derivative, from the layer's output.\n", activation.describe());
    switch (activation.kind()) {
      case RELU ->
          code.addStatement(
              "$T.reluDerivative($L, $L, $L, $L, $L)", Names.KERNELS, y, yo, d, dOff, n);
      case RELU6 ->
          elementwise(code, n, grad, out + " > 0f && " + out + " < 6f ? " + grad + " : 0f");
      case LEAKY_RELU ->
          elementwise(
              code, n, grad, out + " > 0f ? " + grad + " : " + (float) activation.alpha() + "f * " + grad);
      case SIGMOID -> elementwise(code, n, grad, grad + " * " + out + " * (1f - " + out + ")");
      case TANH -> elementwise(code, n, grad, grad + " * (1f - " + out + " * " + out + ")");
      case SOFTMAX -> {
        code.addStatement("float dot = 0f");
        code.beginControlFlow("for (int i = 0; i < $L; i++)", n);
        code.addStatement("dot += $L * $L", grad, out);
        code.endControlFlow();
        elementwise(code, n, grad, out + " * (" + grad + " - dot)");
      }
    }
    return code.build();
  }

  /**
   * {@code name(p, x, xo, y, yo)} of a layer that is only its activation at inference (an
   * activation field, or a Flatten or Dropout that carries one).
   */
  static MethodSpec layerForward(Step step, String name) {
    Node node = step.node();
    return JavaLayer.forwardMethod(name, step, "No parameters; may run in place (x == y, xo == yo).")
        .addCode(
            apply(node.activationFunction().orElseThrow(), "x", "xo", "y", "yo",
                (int) node.output().size()))
        .build();
  }

  /**
   * A layer's fused activation applied in place to its output {@code y[yo..]}, or nothing when it
   * has none or when {@code withActivation} is false (the loss applies it to the logits).
   */
  static CodeBlock fused(Node node, boolean withActivation) {
    if (!withActivation || node.activation().isEmpty()) {
      return CodeBlock.builder().build();
    }
    int n = (int) node.output().size();
    return apply(node.activation().get(), "y", "yo", "y", "yo", n);
  }

  /**
   * The fused activation's derivative at the start of a backward pass, turning {@code d[dOff..]}
   * into the gradient before the activation; nothing when there is none or the loss took it.
   */
  static CodeBlock fusedDerivative(Node node, boolean withActivation) {
    if (!withActivation || node.activation().isEmpty()) {
      return CodeBlock.builder().build();
    }
    int n = (int) node.output().size();
    return derivative(node.activation().get(), "y", "yo", "d", "dOff", n);
  }

  private static void elementwise(CodeBlock.Builder code, int n, String out, String value) {
    elementwise(code, n, out, CodeBlock.of("$L", value));
  }

  private static void elementwise(CodeBlock.Builder code, int n, String out, CodeBlock value) {
    code.beginControlFlow("for (int i = 0; i < $L; i++)", n);
    code.addStatement("$L = $L", out, value);
    code.endControlFlow();
  }
}
