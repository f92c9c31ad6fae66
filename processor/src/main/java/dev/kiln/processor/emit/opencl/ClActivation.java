package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.Optional;

/**
 * Activations in OpenCL C: elementwise ones as expressions that a layer's kernel applies to its
 * result, Softmax (a whole vector) as a kernel of its own with one work item per sample; and the
 * derivatives, which turn the gradient of an activation's output into that of its input in place.
 * Also the layers that are nothing but an activation (an activation field, a Flatten with one).
 */
final class ClActivation {
  private ClActivation() {}

  static boolean elementwise(Activation a) {
    return a.kind() != Activation.Kind.SOFTMAX;
  }

  /** The activation of {@code v} (not Softmax); {@code v} is a variable or an array element. */
  static String apply(Activation a, String v) {
    return switch (a.kind()) {
      case RELU -> "fmax(" + v + ", 0.0f)";
      case RELU6 -> "fmin(fmax(" + v + ", 0.0f), 6.0f)";
      case LEAKY_RELU -> "(" + v + " > 0.0f ? " + v + " : " + ClProgram.f(a.alpha()) + " * " + v + ")";
      case SIGMOID -> "(1.0f / (1.0f + exp(-" + v + ")))";
      case TANH -> "tanh(" + v + ")";
      case SOFTMAX -> throw new IllegalArgumentException("Softmax is not elementwise");
    };
  }

  /** The gradient before the activation, from its output {@code y} and its gradient {@code d}. */
  static String derivative(Activation a, String y, String d) {
    return switch (a.kind()) {
      case RELU -> "(" + y + " > 0.0f ? " + d + " : 0.0f)";
      case RELU6 -> "(" + y + " > 0.0f && " + y + " < 6.0f ? " + d + " : 0.0f)";
      case LEAKY_RELU -> "(" + y + " > 0.0f ? " + d + " : " + ClProgram.f(a.alpha()) + " * " + d + ")";
      case SIGMOID -> d + " * " + y + " * (1.0f - " + y + ")";
      case TANH -> d + " * (1.0f - " + y + " * " + y + ")";
      case SOFTMAX -> throw new IllegalArgumentException("Softmax is not elementwise");
    };
  }

  /** The activation a node applies: its own (activation field) or the one on its field. */
  static Activation of(Node node) {
    return node.activationFunction().orElseThrow();
  }

  /**
   * Applies {@code a} in place to each sample's {@code size} values at {@code at}: a kernel named
   * {@code name} launched in {@code phase}.
   */
  static void inPlace(
      ClProgram program, String name, Activation a, Plan.Location at, int size, String... phases) {
    String comment = name + ": " + a.describe() + " in place on [" + size + "] per sample";
    if (elementwise(a)) {
      program.perSample(
          name, comment, size,
          "  __global float* y = " + program.at(at) + ";\n"
              + "  y[i] = " + apply(a, "y[i]") + ";\n");
      for (String phase : phases) {
        program.launch(phase, name, true, size);
      }
    } else {
      program.perSample(
          name, comment + " (one work item per sample)", 1,
          "  __global float* y = " + program.at(at) + ";\n" + softmax("y", size));
      for (String phase : phases) {
        program.launch(phase, name, true, 1);
      }
    }
  }

  /** Softmax over one sample's {@code size} values, stabilized by the largest. */
  static String softmax(String y, int size) {
    return ("  float m = y[0];\n"
        + "  for (int k = 1; k < " + size + "; k++) m = fmax(m, y[k]);\n"
        + "  float sum = 0.0f;\n"
        + "  for (int k = 0; k < " + size + "; k++) { const float e = exp(y[k] - m); y[k] = e; sum += e; }\n"
        + "  const float inv = 1.0f / sum;\n"
        + "  for (int k = 0; k < " + size + "; k++) y[k] *= inv;\n").replace("y[", y + "[");
  }

  /**
   * The derivative of {@code a}, in place on the gradient at {@code gradient}, from the output at
   * {@code output}: a kernel named {@code name}, launched in the backward phase.
   */
  static void backwardInPlace(
      ClProgram program, String name, Activation a, Plan.Location output, int gradient, int size) {
    String comment = name + ": " + a.describe() + " derivative in place on the gradient [" + size + "]";
    String head =
        "  __global const float* y = " + program.at(output) + ";\n"
            + "  __global float* d = " + program.workspace(gradient) + ";\n";
    if (elementwise(a)) {
      program.perSample(name, comment, size, head + "  d[i] = " + derivative(a, "y[i]", "d[i]") + ";\n");
      program.launch("backward", name, true, size);
    } else {
      program.perSample(
          name, comment + " (one work item per sample)", 1,
          head
              + "  float dot = 0.0f;\n"
              + "  for (int k = 0; k < " + size + "; k++) dot += d[k] * y[k];\n"
              + "  for (int k = 0; k < " + size + "; k++) d[k] = y[k] * (d[k] - dot);\n");
      program.launch("backward", name, true, 1);
    }
  }

  /**
   * The value a layer stores for its result {@code v}: through its fused activation when that is
   * elementwise and not left to the loss.
   */
  static String fused(Node node, boolean withActivation, String v) {
    if (!withActivation || node.activation().isEmpty() || !elementwise(node.activation().get())) {
      return v;
    }
    return apply(node.activation().get(), v);
  }

  /** After a layer's forward kernel: its fused Softmax, a kernel of its own, if it has one. */
  static void fusedSoftmax(
      ClProgram program, String name, Node node, boolean withActivation, Plan.Location out,
      String... phases) {
    if (withActivation && node.activation().isPresent() && !elementwise(node.activation().get())) {
      inPlace(program, name + "_softmax", node.activation().get(), out,
          Math.toIntExact(node.output().size()), phases);
    }
  }

  /**
   * Before a layer's backward kernels: the derivative of its fused activation, if any. An
   * elementwise one is deferred: the layer that writes this one's output gradient applies it as
   * it stores where it can ({@link ClProgram#derivativeOfInput}, {@link #gated}), else it runs as
   * {@code <name>_backward_activation} before this layer's other backward kernels.
   */
  static void fusedBackward(ClProgram program, String name, TrainingStep t) {
    Node node = t.step().node();
    if (t.lossActivation() || node.activation().isEmpty()) {
      return;
    }
    Activation a = node.activation().get();
    int size = Math.toIntExact(node.output().size());
    if (elementwise(a)) {
      program.deferDerivative(
          t, a, p -> backwardInPlace(p, name + "_backward_activation", a, t.out(), t.gradient(), size));
    } else {
      backwardInPlace(program, name + "_backward_activation", a, t.out(), t.gradient(), size);
    }
  }

  /**
   * The input gradient a kernel stores: {@code d} itself, or through the derivative of the input
   * layer's activation ({@link ClProgram#derivativeOfInput}) at the input's value {@code y}. Both
   * may be scalars or vectors of one width.
   */
  static String gated(Optional<Activation> derivative, String y, String d) {
    return derivative.map(a -> derivative(a, "(" + y + ")", "(" + d + ")")).orElse(d);
  }

  /** What a kernel's comment says of a derivative it applies as it stores ({@link #gated}), if any. */
  static String appliedDerivative(Optional<Activation> derivative) {
    return derivative.map(a -> " through the input layer's " + a.describe() + " derivative").orElse("");
  }

  /**
   * A layer that only applies an activation (an activation field, or a Flatten with one): forward
   * copies its input through the activation into its own region; backward is the derivative.
   */
  static void layer(ClProgram program, String name, TrainingStep t) {
    Node node = t.step().node();
    Activation a = of(node);
    int size = Math.toIntExact(node.output().size());
    if (t.forward()) {
      String kernel = name + "_forward";
      String comment = kernel + ": " + node.describe() + ", " + node.input() + " -> " + node.output();
      String copy =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n";
      if (elementwise(a)) {
        program.perSample(kernel, comment, size, copy + "  out[i] = " + apply(a, "in[i]") + ";\n");
        program.launch("forward", kernel, true, size);
        program.launch("infer", kernel, true, size);
      } else {
        program.perSample(
            kernel, comment + " (one work item per sample)", 1,
            copy + "  for (int k = 0; k < " + size + "; k++) out[k] = in[k];\n"
                + softmax("out", size));
        program.launch("forward", kernel, true, 1);
        program.launch("infer", kernel, true, 1);
      }
    }
    if (t.backward() && !t.lossActivation()) {
      backwardInPlace(program, name + "_backward", a, t.out(), t.gradient(), size);
    }
  }
}
