package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.Optional;

/**
 * Conv2D kernels (NHWC activations, HWIO weights): forward with one work item per output value,
 * the input gradient with one per input value (each gathers the outputs its value reached, so no
 * atomics), the kernel gradient with one per weight and the bias gradient with one per filter
 * (each sums over the batch and the output positions).
 */
final class ClConv {
  private ClConv() {}

  static void emit(ClProgram program, String name, TrainingStep t, int index, Op.Conv conv) {
    Step step = t.step();
    Node node = step.node();
    Window w = conv.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int c = in.channels();
    int f = conv.filters();
    String shapes =
        node.name() + ": " + node.describe() + ", " + in + " -> " + out + ", weights HWIO ["
            + w.kernelHeight() + ", " + w.kernelWidth() + ", " + c + ", " + f + "] at p["
            + step.weightOffset() + "]" + (step.biasOffset() >= 0 ? ", bias at p[" + step.biasOffset() + "]" : "");
    int outSize = Math.toIntExact(out.size());
    int inSize = Math.toIntExact(in.size());

    ClTiledConv.Shape shape =
        new ClTiledConv.Shape(
            in.height(), in.width(), c, out.height(), out.width(), f, w.kernelHeight(), w.kernelWidth(),
            w.strideHeight(), w.strideWidth(), w.padTop(), w.padLeft());
    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      ClTiledConv.Tiled tiled =
          ClTiledConv.convolution(
              shape, program.at(t.in()), "p + " + step.weightOffset(),
              step.biasOffset() >= 0 ? "p + " + step.biasOffset() : null, program.at(t.out()),
              v -> ClActivation.fused(node, withActivation, v));
      int items = tiled.items();
      program.perSample(name + "_forward", name + "_forward: " + shapes + "; " + tiled.strategy(), items, tiled.body());
      program.launch("forward", name + "_forward", true, items);
      Optional<TrainingStep> pool = program.poolAfter(index);
      if (pool.isPresent()) {
        // Inference takes the pool's maxima straight from the tiles: the convolution's own output
        // is neither written nor read again, and the pool's kernel does not run.
        Node poolNode = pool.get().step().node();
        String kernel = program.layerName(name + "_" + poolNode.name() + "_infer");
        program.reserve(kernel);
        ClTiledConv.Tiled pooled =
            ClTiledConv.pooledConvolution(
                shape, program.at(t.in()), "p + " + step.weightOffset(),
                step.biasOffset() >= 0 ? "p + " + step.biasOffset() : null, program.at(pool.get().out()),
                v -> ClActivation.fused(node, withActivation, v));
        program.perSample(kernel, kernel + ": inference's " + shapes + ", then " + poolNode.name() + ": "
            + poolNode.describe() + ", " + out + " -> " + poolNode.output() + "; " + pooled.strategy(),
            pooled.items(), pooled.body());
        program.launch("infer", kernel, true, pooled.items());
        program.poolInside(index + 1);
      } else {
        program.launch("infer", name + "_forward", true, items);
      }
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String dOut = program.workspace(t.gradient());

    ClTiledConv.GradientTiles tiles = ClTiledConv.kernelGradient(shape, program.at(t.in()), dOut);
    program.parameterGradientTiles(
        name + "_backward_kernel",
        name + "_backward_kernel: the batch's mean gradient of each weight, " + tiles.strategy() + "; " + shapes,
        tiles.items(), w.kernelHeight() * w.kernelWidth() * c * f, step.weightOffset(), tiles.prelude(),
        tiles.perSample(), tiles.store());

    if (step.biasOffset() >= 0) {
      program.parameterGradient(
          name + "_backward_bias", name + "_backward_bias: the batch's mean gradient of each bias [" + f + "]",
          f, 1, step.biasOffset(), "",
          "__global const float* d = " + dOut + ";\n"
              + "for (int k = i; k < " + outSize + "; k += " + f + ") acc[0] += d[k];\n");
    }

    if (t.computesInputGradient()) {
      Optional<Activation> derivative = program.derivativeOfInput(t);
      String through = ClActivation.appliedDerivative(derivative);
      ClTiledConv.Gate gate = new ClTiledConv.Gate(derivative, program.at(t.in()));
      if (ClTiledConv.dotProductsFit(shape)) {
        ClTiledConv.Tiled tiled =
            ClTiledConv.dotInputGradient(
                shape, dOut, "p + " + step.weightOffset(), program.workspace(t.inputGradient()), gate);
        program.perSample(
            name + "_backward_input",
            name + "_backward_input: the gradient of each input value" + through + ", " + tiled.strategy() + "; "
                + shapes,
            tiled.items(), tiled.body());
        program.launch("backward", name + "_backward_input", true, tiled.items());
        return;
      }
      if (w.strideHeight() == 1 && w.strideWidth() == 1) {
        turnedInputGradient(program, name, t, shape, shapes, dOut, gate, through);
        return;
      }
      String inputBody =
          "  __global const float* d = " + dOut + ";\n"
              + "  __global float* dx = " + program.workspace(t.inputGradient()) + ";\n"
              + "  const int ci = i % " + c + ";\n"
              + "  const int ix = (i / " + c + ") % " + in.width() + ";\n"
              + "  const int iy = i / " + (c * in.width()) + ";\n"
              + "  float acc = 0.0f;\n"
              + ClWindow.overCoveringOutputs(
                  w, out,
                  "      __global const float* ds = d + (oy * " + out.width() + " + ox) * " + f + ";\n"
                      + "      __global const float* ws_ = p + " + step.weightOffset() + " + ((ky * "
                      + w.kernelWidth() + " + kx) * " + c + " + ci) * " + f + ";\n"
                      + "      for (int co = 0; co < " + f + "; co++) acc += ds[co] * ws_[co];\n")
              + gate.declare("in", "0")
              + "  dx[i] = " + gate.apply("in[i]", "acc") + ";\n";
      program.perSample(
          name + "_backward_input",
          name + "_backward_input: the gradient of each input value" + through + ", a work item per value gathering the"
              + " outputs it reached (stride above 1); " + shapes,
          inSize, inputBody);
      program.launch("backward", name + "_backward_input", true, inSize);
    }
  }

  /**
   * A stride-1 input gradient as a convolution of the output gradient with the turned kernel
   * (flipped, its channels swapped, padded by kernel - 1 - pad): {@code <name>_backward_turn}
   * writes the turned kernel to the scratch space, then the same register tiles as the forward
   * pass run over it.
   */
  private static void turnedInputGradient(
      ClProgram program, String name, TrainingStep t, ClTiledConv.Shape s, String shapes, String dOut,
      ClTiledConv.Gate gate, String through) {
    int kh = s.kernelHeight();
    int kw = s.kernelWidth();
    int c = s.inChannels();
    int f = s.outChannels();
    int size = kh * kw * c * f;
    program.scratch(size);
    program.total(
        name + "_backward_turn",
        name + "_backward_turn: the kernel flipped and its channels swapped, [" + kh + ", " + kw + ", " + f + ", "
            + c + "], into partials; " + shapes,
        size,
        "  const int ci = i % " + c + ";\n"
            + "  const int co = (i / " + c + ") % " + f + ";\n"
            + "  const int tap = i / " + (c * f) + ";\n"
            + "  const int ky = " + (kh - 1) + " - tap / " + kw + ";\n"
            + "  const int kx = " + (kw - 1) + " - tap % " + kw + ";\n"
            + "  partials[i] = p[" + t.step().weightOffset() + " + ((ky * " + kw + " + kx) * " + c + " + ci) * "
            + f + " + co];\n");
    program.launch("backward", name + "_backward_turn", false, size);
    ClTiledConv.Tiled tiled =
        ClTiledConv.convolution(
            new ClTiledConv.Shape(
                s.outHeight(), s.outWidth(), f, s.inHeight(), s.inWidth(), c, kh, kw, 1, 1,
                kh - 1 - s.padTop(), kw - 1 - s.padLeft()),
            dOut, "partials", null, program.workspace(t.inputGradient()), v -> v, gate);
    program.perSample(
        name + "_backward_input",
        name + "_backward_input: the gradient of each input value" + through + ", the output gradient convolved with the"
            + " turned kernel in " + tiled.strategy() + "; " + shapes,
        tiled.items(), tiled.body());
    program.launch("backward", name + "_backward_input", true, tiled.items());
  }
}
