package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.List;
import java.util.Optional;

/**
 * MaxPool and AvgPool kernels. Windows are clipped to the input, so with SAME padding the maximum
 * and the average are over real cells only (TensorFlow's rule, as in the Java code). The input
 * gradient has one work item per input value, which gathers from every window holding it: max
 * pooling sends a window's gradient to the first cell (row-major) holding its maximum, as the
 * Java code does; average pooling shares it equally among the window's real cells.
 */
final class ClPool {
  private ClPool() {}

  static void emit(ClProgram program, String name, TrainingStep t, int index, Op.Pool pool) {
    Node node = t.step().node();
    boolean max = pool.pool() == Op.PoolKind.MAX;
    Window w = pool.window();
    TensorShape in = node.input();
    TensorShape out = node.output();
    int c = in.channels();
    String shapes = node.name() + ": " + node.describe() + ", " + in + " -> " + out;
    int outSize = Math.toIntExact(out.size());
    int inSize = Math.toIntExact(in.size());

    int block = Math.min(ClTiledConv.channelBlock(c), 16);
    int blocks = c / block;
    List<int[]> pieces = ClTiledConv.pieces(block);
    String channels = block + " channels (vectors of " + ClTiledConv.describe(pieces) + ")";
    boolean tiles =
        w.strideHeight() == w.kernelHeight() && w.strideWidth() == w.kernelWidth() && !w.padded()
            && out.height() * w.strideHeight() == in.height() && out.width() * w.strideWidth() == in.width();
    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      int items = out.height() * out.width() * blocks;
      StringBuilder body = new StringBuilder();
      body.append("  __global const float* in = ").append(program.at(t.in())).append(";\n");
      body.append("  __global float* out = ").append(program.at(t.out())).append(";\n");
      body.append("  const int c0 = (i % ").append(blocks).append(") * ").append(block).append(";\n");
      body.append("  const int ox = (i / ").append(blocks).append(") % ").append(out.width()).append(";\n");
      body.append("  const int oy = i / ").append(blocks * out.width()).append(";\n");
      if (tiles) {
        // Every window lies whole in the input: loops of constant counts, which the compiler unrolls.
        body.append("  const int y0 = oy * ").append(w.strideHeight()).append(";\n");
        body.append("  const int y1 = y0 + ").append(w.kernelHeight()).append(";\n");
        body.append("  const int x0 = ox * ").append(w.strideWidth()).append(";\n");
        body.append("  const int x1 = x0 + ").append(w.kernelWidth()).append(";\n");
      } else {
        body.append(window("oy", "ox", w, in));
      }
      for (int[] piece : pieces) {
        body.append("  ").append(ClTiledConv.type(piece[1])).append(" a").append(piece[0]).append(" = (")
            .append(ClTiledConv.type(piece[1])).append(")(").append(max ? "-INFINITY" : "0.0f").append(");\n");
      }
      body.append("  for (int iy = y0; iy < y1; iy++) {\n");
      body.append("    for (int ix = x0; ix < x1; ix++) {\n");
      body.append("      __global const float* v = in + (iy * ").append(in.width()).append(" + ix) * ").append(c)
          .append(" + c0;\n");
      for (int[] piece : pieces) {
        String v = ClTiledConv.load(piece[1], "v + " + piece[0]);
        body.append("      a").append(piece[0]).append(max ? " = fmax(a" + piece[0] + ", " + v + ");\n" : " += " + v + ";\n");
      }
      body.append("    }\n");
      body.append("  }\n");
      if (!max) {
        body.append("  const float share = ").append(tiles ? ClProgram.f(1.0 / (w.kernelHeight() * w.kernelWidth()))
            : "1.0f / ((y1 - y0) * (x1 - x0))").append(";\n");
      }
      body.append("  __global float* y = out + (oy * ").append(out.width()).append(" + ox) * ").append(c).append(" + c0;\n");
      for (int[] piece : pieces) {
        String value = max ? "a" + piece[0] : "a" + piece[0] + " * share";
        body.append("  ").append(ClTiledConv.store(piece[1], ClActivation.fused(node, withActivation, value),
            "y + " + piece[0])).append('\n');
      }
      String kernel = name + "_forward";
      program.perSample(kernel, kernel + ": " + shapes + "; a work item per output pixel and " + channels, items,
          body.toString().replace("y + 0)", "y)").replace("v + 0)", "v)"));
      program.launch("forward", kernel, true, items);
      if (!program.pooledInside(index)) {
        program.launch("infer", kernel, true, items);
      }
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    if (!t.computesInputGradient()) {
      return;
    }
    Optional<Activation> derivative = program.derivativeOfInput(t);
    if (tiles) {
      tilingBackward(program, name, t, derivative, max, w, in, out, block, pieces, shapes + "; the windows tile the input: a"
          + " work item per window and " + channels + " writes each of its cells");
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
            + "  dx[i] = " + ClActivation.gated(derivative, "in[i]", "acc") + ";\n";
    program.perSample(
        name + "_backward_input",
        name + "_backward_input: the gradient of each input value" + ClActivation.appliedDerivative(derivative) + "; " + shapes,
        inSize, body);
    program.launch("backward", name + "_backward_input", true, inSize);
  }

  /**
   * The input gradient where the windows tile the input exactly (stride = window, no padding): each
   * cell lies in one window, so a work item per window writes every cell of it, the window's
   * gradient to its first maximal cell (max) or a share to each (average), zero elsewhere.
   */
  private static void tilingBackward(
      ClProgram program, String name, TrainingStep t, Optional<Activation> derivative, boolean max, Window w,
      TensorShape in, TensorShape out,
      int block, List<int[]> pieces, String comment) {
    int c = in.channels();
    int blocks = c / block;
    int items = out.height() * out.width() * blocks;
    int cells = w.kernelHeight() * w.kernelWidth();
    StringBuilder body = new StringBuilder();
    body.append("  __global const float* in = ").append(program.at(t.in())).append(";\n");
    body.append("  __global const float* d = ").append(program.workspace(t.gradient())).append(";\n");
    body.append("  __global float* dx = ").append(program.workspace(t.inputGradient())).append(";\n");
    body.append("  const int c0 = (i % ").append(blocks).append(") * ").append(block).append(";\n");
    body.append("  const int ox = (i / ").append(blocks).append(") % ").append(out.width()).append(";\n");
    body.append("  const int oy = i / ").append(blocks * out.width()).append(";\n");
    body.append("  const int corner = (oy * ").append(w.strideHeight()).append(" * ").append(in.width())
        .append(" + ox * ").append(w.strideWidth()).append(") * ").append(c).append(" + c0;\n");
    body.append("  __global const float* ds = d + (oy * ").append(out.width()).append(" + ox) * ").append(c).append(" + c0;\n");
    for (int[] piece : pieces) {
      String type = ClTiledConv.type(piece[1]);
      body.append("  const ").append(type).append(" d").append(piece[0]).append(" = ")
          .append(ClTiledConv.load(piece[1], "ds + " + piece[0])).append(max ? "" : " * " + ClProgram.f(1.0 / cells))
          .append(";\n");
    }
    if (max) {
      // Row-major scan with a strict comparison: the first maximal cell wins, as in the Java code.
      for (int[] piece : pieces) {
        String type = ClTiledConv.type(piece[1]);
        String index = ClTiledConv.intType(piece[1]);
        body.append("  ").append(type).append(" m").append(piece[0]).append(" = ")
            .append(ClTiledConv.load(piece[1], "in + corner + " + piece[0])).append(";\n");
        body.append("  ").append(index).append(" best").append(piece[0]).append(" = (").append(index).append(")(0);\n");
      }
      for (int k = 1; k < cells; k++) {
        int at = cellOffset(k, w, in);
        for (int[] piece : pieces) {
          String type = ClTiledConv.type(piece[1]);
          String index = ClTiledConv.intType(piece[1]);
          body.append("  { const ").append(type).append(" v = ")
              .append(ClTiledConv.load(piece[1], "in + corner + " + (at + piece[0])))
              .append("; const ").append(index).append(" gt = v > m").append(piece[0])
              .append("; best").append(piece[0]).append(" = gt ? (").append(index).append(")(").append(k)
              .append(") : best").append(piece[0]).append("; m").append(piece[0]).append(" = gt ? v : m")
              .append(piece[0]).append("; }\n");
        }
      }
      if (derivative.isPresent()) {
        // Only the maximal cell gets a gradient, and any derivative of a zero gradient is zero:
        // one derivative per window, at the maximum's value.
        for (int[] piece : pieces) {
          body.append("  const ").append(ClTiledConv.type(piece[1])).append(" g").append(piece[0]).append(" = ")
              .append(ClActivation.gated(derivative, "m" + piece[0], "d" + piece[0])).append(";\n");
        }
      }
    }
    for (int k = 0; k < cells; k++) {
      int at = cellOffset(k, w, in);
      for (int[] piece : pieces) {
        String type = ClTiledConv.type(piece[1]);
        String value;
        if (max) {
          String d = (derivative.isPresent() ? "g" : "d") + piece[0];
          value = "(best" + piece[0] + " == " + k + " ? " + d + " : (" + type + ")(0.0f))";
        } else {
          value = ClActivation.gated(
              derivative, ClTiledConv.load(piece[1], "in + corner + " + (at + piece[0])), "d" + piece[0]);
        }
        body.append("  ").append(ClTiledConv.store(piece[1], value, "dx + corner + " + (at + piece[0]))).append('\n');
      }
    }
    String kernel = name + "_backward_input";
    program.perSample(kernel, kernel + ": the gradient of each input value" + ClActivation.appliedDerivative(derivative) + "; " + comment, items,
        body.toString().replace(" + 0)", ")").replace(" + 0;", ";"));
    program.launch("backward", kernel, true, items);
  }

  /** Where cell {@code k} (row-major) of a window lies from its corner, in floats. */
  private static int cellOffset(int k, Window w, TensorShape in) {
    return ((k / w.kernelWidth()) * in.width() + k % w.kernelWidth()) * in.channels();
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
