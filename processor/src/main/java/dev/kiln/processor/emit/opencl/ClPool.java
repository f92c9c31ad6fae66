package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * MaxPool and AvgPool kernels. Windows are clipped to the input, so with SAME padding the maximum
 * and the average are over real cells only (TensorFlow's rule, as in the Java code). The input
 * gradient has one work item per input value, which gathers from every window holding it: max
 * pooling sends a window's gradient to the first cell (row-major) holding its maximum, as the
 * Java code does; average pooling shares it equally among the window's real cells.
 */
final class ClPool {
  private ClPool() {}

  static void emit(ClProgram program, String name, TrainingStep t, Op.Pool pool) {
    Node node = t.step().node();
    boolean max = pool.pool() == Op.PoolKind.MAX;
    Window w = pool.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int c = in.channels();
    String shapes = node.name() + ": " + node.describe() + ", " + in + " -> " + out;
    int outSize = Math.toIntExact(out.size());
    int inSize = Math.toIntExact(in.size());

    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      String body =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n"
              + "  const int ch = i % " + c + ";\n"
              + "  const int ox = (i / " + c + ") % " + out.width() + ";\n"
              + "  const int oy = i / " + (c * out.width()) + ";\n"
              + window("oy", "ox", w, in)
              + (max ? "  float acc = -INFINITY;\n" : "  float acc = 0.0f;\n")
              + "  for (int iy = y0; iy < y1; iy++) {\n"
              + "    for (int ix = x0; ix < x1; ix++) {\n"
              + "      const float v = in[(iy * " + in.width() + " + ix) * " + c + " + ch];\n"
              + (max ? "      acc = fmax(acc, v);\n" : "      acc += v;\n")
              + "    }\n"
              + "  }\n"
              + (max ? "" : "  acc *= 1.0f / ((y1 - y0) * (x1 - x0));\n")
              + "  out[i] = " + ClActivation.fused(node, withActivation, "acc") + ";\n";
      program.perSample(name + "_forward", name + "_forward: " + shapes, outSize, body);
      program.launch("forward", name + "_forward", true, outSize);
      program.launch("infer", name + "_forward", true, outSize);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    if (!t.computesInputGradient()) {
      return;
    }
    String share;
    if (max) {
      share =
          "      float m = in[(y0 * " + in.width() + " + x0) * " + c + " + ch];\n"
              + "      int best = y0 * " + in.width() + " + x0;\n"
              + "      for (int yy = y0; yy < y1; yy++) {\n"
              + "        for (int xx = x0; xx < x1; xx++) {\n"
              + "          const float v = in[(yy * " + in.width() + " + xx) * " + c + " + ch];\n"
              + "          if (v > m) { m = v; best = yy * " + in.width() + " + xx; }\n"
              + "        }\n"
              + "      }\n"
              + "      if (best == iy * " + in.width() + " + ix) acc += d[(oy * " + out.width() + " + ox) * "
              + c + " + ch];\n";
    } else {
      share =
          "      acc += d[(oy * " + out.width() + " + ox) * " + c + " + ch] * (1.0f / ((y1 - y0) * (x1 - x0)));\n";
    }
    String body =
        "  __global const float* in = " + program.at(t.in()) + ";\n"
            + "  __global const float* d = " + program.workspace(t.gradient()) + ";\n"
            + "  __global float* dx = " + program.workspace(t.inputGradient()) + ";\n"
            + "  const int ch = i % " + c + ";\n"
            + "  const int ix = (i / " + c + ") % " + in.width() + ";\n"
            + "  const int iy = i / " + (c * in.width()) + ";\n"
            + "  float acc = 0.0f;\n"
            + ClWindow.overCoveringOutputs(
                w, out,
                window("oy", "ox", w, in).replace("\n  ", "\n      ").replaceFirst("^  ", "      ")
                    + share)
            + "  dx[i] = acc;\n";
    program.perSample(
        name + "_backward_input", name + "_backward_input: the gradient of each input value; " + shapes,
        inSize, body);
    program.launch("backward", name + "_backward_input", true, inSize);
  }

  /** The window of output {@code (oy, ox)} clipped to the input: rows y0..y1, columns x0..x1. */
  private static String window(String oy, String ox, Window w, TensorShape in) {
    return "  const int y0 = max(" + oy + " * " + w.strideHeight() + " - " + w.padTop() + ", 0);\n"
        + "  const int y1 = min(" + oy + " * " + w.strideHeight() + " - " + w.padTop() + " + "
        + w.kernelHeight() + ", " + in.height() + ");\n"
        + "  const int x0 = max(" + ox + " * " + w.strideWidth() + " - " + w.padLeft() + ", 0);\n"
        + "  const int x1 = min(" + ox + " * " + w.strideWidth() + " - " + w.padLeft() + " + "
        + w.kernelWidth() + ", " + in.width() + ");\n";
  }
}
