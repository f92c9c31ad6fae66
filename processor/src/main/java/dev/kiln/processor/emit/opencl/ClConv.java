package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * Conv2D kernels (NHWC activations, HWIO weights): forward with one work item per output value,
 * the input gradient with one per input value (each gathers the outputs its value reached, so no
 * atomics), the kernel gradient with one per weight and the bias gradient with one per filter
 * (each sums over the batch and the output positions).
 */
final class ClConv {
  private ClConv() {}

  /** Filters per work item in the forward pass: the largest divisor of {@code f} up to 16. */
  static int filterBlock(int f) {
    return largestDivisorUpTo(f, 16);
  }

  static int largestDivisorUpTo(int f, int most) {
    for (int b = Math.min(f, most); b > 1; b--) {
      if (f % b == 0) {
        return b;
      }
    }
    return 1;
  }

  static void emit(ClProgram program, String name, TrainingStep t, Op.Conv conv) {
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

    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      // One work item per output pixel and block of filters: it reads each input value once for
      // the whole block, and its innermost loop runs over contiguous weights (vectorizable).
      int block = filterBlock(f);
      int blocks = f / block;
      int items = out.height() * out.width() * blocks;
      String body =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n"
              + "  const int co0 = (i % " + blocks + ") * " + block + ";\n"
              + "  const int ox = (i / " + blocks + ") % " + out.width() + ";\n"
              + "  const int oy = i / " + (blocks * out.width()) + ";\n"
              + "  float acc[" + block + "];\n"
              + "  for (int k = 0; k < " + block + "; k++) acc[k] = "
              + (step.biasOffset() >= 0 ? "p[" + step.biasOffset() + " + co0 + k]" : "0.0f") + ";\n"
              + "  for (int ky = 0; ky < " + w.kernelHeight() + "; ky++) {\n"
              + "    const int iy = oy * " + w.strideHeight() + " - " + w.padTop() + " + ky;\n"
              + (w.padded() ? "    if (iy < 0 || iy >= " + in.height() + ") continue;\n" : "")
              + "    for (int kx = 0; kx < " + w.kernelWidth() + "; kx++) {\n"
              + "      const int ix = ox * " + w.strideWidth() + " - " + w.padLeft() + " + kx;\n"
              + (w.padded() ? "      if (ix < 0 || ix >= " + in.width() + ") continue;\n" : "")
              + "      __global const float* xs = in + (iy * " + in.width() + " + ix) * " + c + ";\n"
              + "      __global const float* wk = p + " + step.weightOffset() + " + (ky * " + w.kernelWidth()
              + " + kx) * " + (c * f) + " + co0;\n"
              + "      for (int ci = 0; ci < " + c + "; ci++) {\n"
              + "        const float v = xs[ci];\n"
              + "        for (int k = 0; k < " + block + "; k++) acc[k] += v * wk[ci * " + f + " + k];\n"
              + "      }\n"
              + "    }\n"
              + "  }\n"
              + "  __global float* y = out + (oy * " + out.width() + " + ox) * " + f + " + co0;\n"
              + "  for (int k = 0; k < " + block + "; k++) y[k] = "
              + ClActivation.fused(node, withActivation, "acc[k]") + ";\n";
      program.perSample(
          name + "_forward",
          name + "_forward: " + shapes + "; a work item per output pixel and " + block + " filters",
          items, body);
      program.launch("forward", name + "_forward", true, items);
      program.launch("infer", name + "_forward", true, items);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String dOut = program.workspace(t.gradient());

    // Kernel gradient: one work item per (ky, kx, ci) and block of filters (and part of the batch,
    // where that leaves too few), summing over samples and output positions; its innermost loop
    // runs over contiguous output gradients.
    int kblock = filterBlock(f);
    int kblocks = f / kblock;
    int kitems = w.kernelHeight() * w.kernelWidth() * c * kblocks;
    String kernelPrelude =
        "  const int co0 = (i % " + kblocks + ") * " + kblock + ";\n"
            + "  const int ci = (i / " + kblocks + ") % " + c + ";\n"
            + "  const int kx = (i / " + (kblocks * c) + ") % " + w.kernelWidth() + ";\n"
            + "  const int ky = i / " + (kblocks * c * w.kernelWidth()) + ";\n"
            + "  // The output positions whose window puts (ky, kx) inside the input.\n"
            + ClWindow.clip("oy", "ky", w.padTop(), w.strideHeight(), in.height(), out.height())
            + ClWindow.clip("ox", "kx", w.padLeft(), w.strideWidth(), in.width(), out.width());
    String kernelSample =
        "__global const float* in = " + program.at(t.in()) + ";\n"
            + "__global const float* d = " + dOut + " + co0;\n"
            + "for (int oy = oyFrom; oy < oyTo; oy++) {\n"
            + "  const int iy = oy * " + w.strideHeight() + " - " + w.padTop() + " + ky;\n"
            + "  for (int ox = oxFrom; ox < oxTo; ox++) {\n"
            + "    const int ix = ox * " + w.strideWidth() + " - " + w.padLeft() + " + kx;\n"
            + "    const float v = in[(iy * " + in.width() + " + ix) * " + c + " + ci];\n"
            + "    __global const float* ds = d + (oy * " + out.width() + " + ox) * " + f + ";\n"
            + "    for (int k = 0; k < " + kblock + "; k++) acc[k] += v * ds[k];\n"
            + "  }\n"
            + "}\n";
    // Item i's filters are g[weights + i * kblock ...]: ((ky * kw + kx) * c + ci) * f + co0.
    program.parameterGradient(
        name + "_backward_kernel",
        name + "_backward_kernel: the batch's mean gradient of each weight, a work item per (ky, kx,"
            + " ci) and " + kblock + " filters; " + shapes,
        kitems, kblock, step.weightOffset(), kernelPrelude, kernelSample);

    if (step.biasOffset() >= 0) {
      program.parameterGradient(
          name + "_backward_bias", name + "_backward_bias: the batch's mean gradient of each bias [" + f + "]",
          f, 1, step.biasOffset(), "",
          "__global const float* d = " + dOut + ";\n"
              + "for (int k = i; k < " + outSize + "; k += " + f + ") acc[0] += d[k];\n");
    }

    if (t.computesInputGradient()) {
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
              + "  dx[i] = acc;\n";
      program.perSample(
          name + "_backward_input", name + "_backward_input: the gradient of each input value; " + shapes,
          inSize, inputBody);
      program.launch("backward", name + "_backward_input", true, inSize);
    }
  }
}
