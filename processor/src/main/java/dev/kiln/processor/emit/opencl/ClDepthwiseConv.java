package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * Depthwise convolution kernels: output channel {@code o} reads input channel {@code o / M} only.
 * Forward has a work item per output value, summing the bias and then the taps in row-major
 * order, as the Java code does; the kernel gradient one per weight, summing over the batch and
 * the output positions its tap reaches; the input gradient one per input value, gathering from
 * the outputs whose windows hold it.
 */
final class ClDepthwiseConv {
  private ClDepthwiseConv() {}

  static void emit(ClProgram program, String name, TrainingStep t, Op.DepthwiseConv op) {
    Step step = t.step();
    Node node = step.node();
    Window w = op.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int c = in.channels();
    int m = op.depthMultiplier();
    int outputs = out.channels();
    String shapes =
        node.name() + ": " + node.describe() + ", " + in + " -> " + out + ", weights [" + w.kernelHeight()
            + ", " + w.kernelWidth() + ", " + c + ", " + m + "] at p[" + step.weightOffset() + "]"
            + (step.biasOffset() >= 0 ? ", bias at p[" + step.biasOffset() + "]" : "");
    int outSize = Math.toIntExact(out.size());
    int inSize = Math.toIntExact(in.size());

    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      String body =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n"
              + "  const int o = i % " + outputs + ";\n"
              + "  const int ox = (i / " + outputs + ") % " + out.width() + ";\n"
              + "  const int oy = i / " + (outputs * out.width()) + ";\n"
              + "  const int ci = o / " + m + ";\n"
              + "  float acc = " + (step.biasOffset() >= 0 ? "p[" + step.biasOffset() + " + o]" : "0.0f") + ";\n"
              + "  for (int ky = 0; ky < " + w.kernelHeight() + "; ky++) {\n"
              + "    const int iy = oy * " + w.strideHeight() + " - " + w.padTop() + " + ky;\n"
              + (w.padded() ? "    if (iy < 0 || iy >= " + in.height() + ") continue;\n" : "")
              + "    for (int kx = 0; kx < " + w.kernelWidth() + "; kx++) {\n"
              + "      const int ix = ox * " + w.strideWidth() + " - " + w.padLeft() + " + kx;\n"
              + (w.padded() ? "      if (ix < 0 || ix >= " + in.width() + ") continue;\n" : "")
              + "      acc += in[(iy * " + in.width() + " + ix) * " + c + " + ci] * p[" + step.weightOffset()
              + " + (ky * " + w.kernelWidth() + " + kx) * " + outputs + " + o];\n"
              + "    }\n"
              + "  }\n"
              + "  out[i] = " + ClActivation.fused(node, withActivation, "acc") + ";\n";
      program.perSample(
          name + "_forward", name + "_forward: " + shapes + "; a work item per output value",
          outSize, body);
      program.launch("forward", name + "_forward", true, outSize);
      program.launch("infer", name + "_forward", true, outSize);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String dOut = program.workspace(t.gradient());

    // Kernel gradient: one work item per weight (ky, kx, o), summing over the samples and the
    // output positions whose window puts its tap inside the input.
    int kitems = w.kernelHeight() * w.kernelWidth() * outputs;
    String kernelPrelude =
        "  const int o = i % " + outputs + ";\n"
            + "  const int kx = (i / " + outputs + ") % " + w.kernelWidth() + ";\n"
            + "  const int ky = i / " + (outputs * w.kernelWidth()) + ";\n"
            + "  const int ci = o / " + m + ";\n"
            + ClWindow.clip("oy", "ky", w.padTop(), w.strideHeight(), in.height(), out.height())
            + ClWindow.clip("ox", "kx", w.padLeft(), w.strideWidth(), in.width(), out.width());
    String kernelSample =
        "__global const float* in = " + program.at(t.in()) + ";\n"
            + "__global const float* d = " + dOut + ";\n"
            + "for (int oy = oyFrom; oy < oyTo; oy++) {\n"
            + "  const int iy = oy * " + w.strideHeight() + " - " + w.padTop() + " + ky;\n"
            + "  for (int ox = oxFrom; ox < oxTo; ox++) {\n"
            + "    const int ix = ox * " + w.strideWidth() + " - " + w.padLeft() + " + kx;\n"
            + "    acc[0] += in[(iy * " + in.width() + " + ix) * " + c + " + ci] * d[(oy * " + out.width()
            + " + ox) * " + outputs + " + o];\n"
            + "  }\n"
            + "}\n";
    program.parameterGradient(
        name + "_backward_kernel",
        name + "_backward_kernel: the batch's mean gradient of each weight, a work item per weight; "
            + shapes,
        kitems, 1, step.weightOffset(), kernelPrelude, kernelSample);

    if (step.biasOffset() >= 0) {
      program.parameterGradient(
          name + "_backward_bias",
          name + "_backward_bias: the batch's mean gradient of each bias [" + outputs + "]",
          outputs, 1, step.biasOffset(), "",
          "__global const float* d = " + dOut + ";\n"
              + "for (int k = i; k < " + outSize + "; k += " + outputs + ") acc[0] += d[k];\n");
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
                  "      __global const float* ds = d + (oy * " + out.width() + " + ox) * " + outputs
                      + " + ci * " + m + ";\n"
                      + "      __global const float* wk = p + " + step.weightOffset() + " + (ky * "
                      + w.kernelWidth() + " + kx) * " + outputs + " + ci * " + m + ";\n"
                      + "      for (int k = 0; k < " + m + "; k++) acc += ds[k] * wk[k];\n")
              + "  dx[i] = acc;\n";
      program.perSample(
          name + "_backward_input",
          name + "_backward_input: the gradient of each input value; " + shapes, inSize, inputBody);
      program.launch("backward", name + "_backward_input", true, inSize);
    }
  }
}
