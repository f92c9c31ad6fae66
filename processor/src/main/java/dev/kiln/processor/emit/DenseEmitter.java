package dev.kiln.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.Arrays;
import java.util.List;

/**
 * Dense: {@code y = x · W + b} with {@code W} stored {@code [in, out]}. The outer loop walks the
 * inputs and the inner loop adds one row of {@code W} to the outputs, so both arrays are read
 * contiguously.
 */
record DenseEmitter(Op.Dense dense) implements JavaLayer {

  @Override
  public List<MethodSpec> forward(Step step, String name, boolean withActivation) {
    Node node = step.node();
    int inputs = (int) node.input().size();
    int units = dense.units();
    MethodSpec.Builder method =
        JavaLayer.forwardMethod(
            name,
            step,
            "Weights "
                + JavaLayer.range(step.weightOffset(), node.weightCount())
                + " "
                + Arrays.toString(node.weightShape())
                + (step.biasOffset() >= 0
                    ? ", bias " + JavaLayer.range(step.biasOffset(), node.biasCount())
                    : ", no bias")
                + ".");
    method.addCode(
        vectorForward(step, ActivationEmitter.fused(node, withActivation)));
    method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
    method.addStatement(
        "y[yo + o] = $L", step.biasOffset() >= 0 ? "p[" + JavaLayer.bias(step).plus("o") + "]" : "0f");
    method.endControlFlow();
    method.beginControlFlow("for (int i = 0; i < $L; i++)", inputs);
    method.addStatement("float xv = x[xo + i]");
    method.addStatement("int wi = $L", JavaLayer.weights(step).plus("i", units));
    method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
    method.addStatement("y[yo + o] += xv * p[wi + o]");
    method.endControlFlow();
    method.endControlFlow();
    method.addCode(ActivationEmitter.fused(node, withActivation));
    return List.of(method.build());
  }

  @Override
  public List<MethodSpec> tileInference(Step step) {
    return List.of(tileForward(step, JavaLayer.tileName(step), JavaLayer.forwardName(step), true));
  }

  @Override
  public List<MethodSpec> tileTraining(TrainingPlan.TrainingStep t, boolean withTile) {
    Step step = t.step();
    List<MethodSpec> methods = new java.util.ArrayList<>();
    if (withTile && !JavaLayer.logits(t)) {
      methods.add(tileForward(step, JavaLayer.tileName(step), JavaLayer.forwardName(step), true));
    }
    if (JavaLayer.logits(t)) {
      methods.add(tileForward(step, JavaLayer.logitsName(step) + "Tile", JavaLayer.logitsName(step), false));
    }
    if (t.backward()) {
      methods.add(tileBackward(t));
    }
    return methods;
  }

  /**
   * {@code name(p, x, xo, xStride, y, yo, yStride, n)}: {@code perSample} over a tile, on the vector
   * path as one matrix product, so the weights are read once per tile.
   */
  private MethodSpec tileForward(Step step, String name, String perSample, boolean withActivation) {
    Node node = step.node();
    int inputs = (int) node.input().size();
    int units = dense.units();
    MethodSpec.Builder method =
        JavaLayer.tileMethod(name)
            .addJavadoc(
                "$L over a tile: samples s < n at {@code x[xo + s * xStride..]} and {@code y[yo + s *"
                    + " yStride..]}.\n", perSample)
            .addJavadoc("On the vector path one matrix product, so the weights are read once per tile;\n"
                + "packed once and kept while the weights are held (a trainer's batch).\n");
    method.beginControlFlow("if (!$T.VECTORIZED)", Names.KERNELS);
    method.beginControlFlow("for (int s = 0; s < n; s++)");
    method.addStatement("$N(p, x, xo + s * xStride, y, yo + s * yStride)", perSample);
    method.endControlFlow();
    method.addStatement("return");
    method.endControlFlow();
    method.addStatement(
        "$T.denseTile(x, xo, xStride, $L, p, $L, p, $L, $L, y, yo, yStride, n, 2 * $L)", Names.KERNELS,
        inputs, JavaLayer.weights(step), JavaLayer.biasArgument(step), units, step.weightConstant());
    if (withActivation && node.activation().isPresent()) {
      method.beginControlFlow("for (int s = 0; s < n; s++)");
      method.addStatement("int ys = yo + s * yStride");
      method.addCode(ActivationEmitter.apply(node.activation().get(), "y", "ys", "y", "ys", units));
      method.endControlFlow();
    }
    return method.build();
  }

  /**
   * The backward pass over a tile: per sample the activation's derivative and the bias gradient
   * (added in sample order, as sample by sample), then on the vector path the weight gradient and
   * the input gradient as one matrix product each.
   */
  private MethodSpec tileBackward(TrainingPlan.TrainingStep t) {
    Step step = t.step();
    Node node = step.node();
    int inputs = (int) node.input().size();
    int units = dense.units();
    boolean dx = t.computesInputGradient();
    MethodSpec.Builder method =
        MethodSpec.methodBuilder(JavaLayer.backwardName(step) + "Tile")
            .addModifiers(javax.lang.model.element.Modifier.STATIC)
            .addJavadoc(
                "$L over a tile: sample s's arrays a stride further on each; the weight gradient of"
                    + " the\ntile is one matrix product on the vector path, and so is its input"
                    + " gradient.\n", JavaLayer.backwardName(step));
    for (String array : List.of("p", "x", "y", "d", "dx")) {
      if (!array.equals("p")) {
        method.addParameter(float[].class, array);
        String offset = switch (array) {
          case "x" -> "xo";
          case "y" -> "yo";
          case "d" -> "dOff";
          default -> "dxo";
        };
        method.addParameter(int.class, offset);
        method.addParameter(int.class, array + "Stride");
      } else {
        method.addParameter(float[].class, "p");
      }
    }
    method.addParameter(float[].class, "g").addParameter(int.class, "n");
    method.beginControlFlow("if (!$T.VECTORIZED)", Names.KERNELS);
    method.beginControlFlow("for (int s = 0; s < n; s++)");
    method.addStatement(
        "$N(p, x, xo + s * xStride, y, yo + s * yStride, d, dOff + s * dStride, dx, $L, g)",
        JavaLayer.backwardName(step), dx ? "dxo + s * dxStride" : "-1");
    method.endControlFlow();
    method.addStatement("return");
    method.endControlFlow();
    boolean derivative = !t.lossActivation() && node.activation().isPresent();
    if (derivative || step.biasOffset() >= 0) {
      method.beginControlFlow("for (int s = 0; s < n; s++)");
      method.addStatement("int ds = dOff + s * dStride");
      if (derivative) {
        method.addStatement("int ys = yo + s * yStride");
        method.addCode(ActivationEmitter.derivative(node.activation().get(), "y", "ys", "d", "ds", units));
      }
      if (step.biasOffset() >= 0) {
        method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
        method.addStatement("g[$L] += d[ds + o]", JavaLayer.bias(step).plus("o"));
        method.endControlFlow();
      }
      method.endControlFlow();
    }
    method.addStatement(
        "$T.outerProductTile(x, xo, xStride, $L, d, dOff, dStride, $L, g, $L, n)", Names.KERNELS,
        inputs, units, JavaLayer.weights(step));
    if (dx) {
      method.addStatement(
          "$T.transposedProductTile(p, $L, $L, $L, d, dOff, dStride, dx, dxo, dxStride, n, 2 * $L + 1)",
          Names.KERNELS, JavaLayer.weights(step), inputs, units, step.weightConstant());
    }
    return method.build();
  }

  /** {@code gW[i, o] += x[i] d[o]}, {@code gb[o] += d[o]}, {@code dx[i] = sum_o W[i, o] d[o]}. */
  @Override
  public List<MethodSpec> backward(Step step, TrainingPlan.TrainingStep training) {
    Node node = step.node();
    int inputs = (int) node.input().size();
    int units = dense.units();
    boolean dx = training.computesInputGradient();
    MethodSpec.Builder method =
        JavaLayer.backwardMethod(
            step,
            "Adds weight and bias gradients into g"
                + (dx ? "; writes the input gradient to dx." : "; no input gradient (first layer)."));
    method.addCode(ActivationEmitter.fusedDerivative(node, !training.lossActivation()));
    if (step.biasOffset() >= 0) {
      method.beginControlFlow("for (int o = 0; o < $L; o++)", units);
      method.addStatement("g[$L] += d[dOff + o]", JavaLayer.bias(step).plus("o"));
      method.endControlFlow();
    }
    method.addCode(vectorBackward(step, dx));
    // Per input: the weight row's gradient, and the input gradient as a dot product kept in
    // four partial sums, so the additions do not wait on each other.
    int unrolled = units - units % 4;
    method.beginControlFlow("for (int i = 0; i < $L; i++)", inputs);
    method.addStatement("float xv = x[xo + i]");
    method.addStatement("int wi = $L", JavaLayer.weights(step).plus("i", units));
    if (dx) {
      method.addStatement("float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f");
    }
    if (unrolled > 0) {
      method.beginControlFlow("for (int o = 0; o < $L; o += 4)", unrolled);
      for (int j = 0; j < 4; j++) {
        method.addStatement("float d$L = d[$L]", j, Ix.of("dOff").plus("o").plus(j));
      }
      for (int j = 0; j < 4; j++) {
        method.addStatement("g[$L] += xv * d$L", Ix.of("wi").plus("o").plus(j), j);
      }
      if (dx) {
        for (int j = 0; j < 4; j++) {
          method.addStatement("s$L += p[$L] * d$L", j, Ix.of("wi").plus("o").plus(j), j);
        }
      }
      method.endControlFlow();
    }
    if (unrolled < units) {
      method.beginControlFlow("for (int o = $L; o < $L; o++)", unrolled, units);
      method.addStatement("float dv = d[dOff + o]");
      method.addStatement("g[wi + o] += xv * dv");
      if (dx) {
        method.addStatement("s0 += p[wi + o] * dv");
      }
      method.endControlFlow();
    }
    if (dx) {
      method.addStatement("dx[dxo + i] = (s0 + s1) + (s2 + s3)");
    }
    method.endControlFlow();
    return List.of(method.build());
  }

  @Override
  public CodeBlock initialize(Step step) {
    return JavaLayer.randomInitialization(step, dense.init(), dense.biasInit());
  }

  /** The vector path's forward: a convolution of one pixel whose one tap is the whole input. */
  private CodeBlock vectorForward(Step step, CodeBlock activation) {
    int inputs = (int) step.node().input().size();
    return CodeBlock.builder()
        .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
        .add("// Vector path: one pixel whose one tap is the whole input.\n")
        .addStatement(
            "$T.convolve(x, xo, 0, 0, 0, 1, $L, p, $L, p, $L, $L, y, yo, 1, 1)", Names.KERNELS,
            inputs, JavaLayer.weights(step), JavaLayer.biasArgument(step), dense.units())
        .add(activation)
        .addStatement("return")
        .endControlFlow()
        .build();
  }

  /** The vector path's backward after the derivative and bias gradient; ends with a return. */
  private CodeBlock vectorBackward(Step step, boolean dx) {
    int inputs = (int) step.node().input().size();
    int units = dense.units();
    CodeBlock.Builder code =
        CodeBlock.builder()
            .beginControlFlow("if ($T.VECTORIZED)", Names.KERNELS)
            .add("// Vector path: gW += x d (a rank-1 update); dx = W d.\n")
            .addStatement(
                "$T.outerProduct(x, xo, $L, d, dOff, $L, g, $L)", Names.KERNELS, inputs, units,
                JavaLayer.weights(step));
    if (dx) {
      code.addStatement(
          "$T.transposedProduct(p, $L, $L, $L, d, dOff, dx, dxo)", Names.KERNELS,
          JavaLayer.weights(step), inputs, units);
    }
    return code.addStatement("return").endControlFlow().build();
  }
}
