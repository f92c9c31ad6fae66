package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.plan.TrainingPlan;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * The merges in OpenCL C, one work item per output value: {@code Add} sums its sources, {@code
 * Concat} picks each channel from its source. Backward, an Add leaves its gradient where it is
 * (the plan hands it on), a Concat copies each source's channels out. Also the gradient transfers
 * of any layer: the copies and sums into a source that several layers read.
 */
final class ClMerge {
  private ClMerge() {}

  static void emit(ClProgram program, String name, TrainingStep t, Op.Merge merge) {
    Node node = t.step().node();
    boolean add = merge.merge() == Op.MergeKind.ADD;
    TensorShape out = node.output();
    int size = Math.toIntExact(out.size());
    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      String kernel = name + "_forward";
      StringBuilder body = new StringBuilder();
      for (int k = 0; k < t.ins().size(); k++) {
        body.append("  __global const float* in").append(k).append(" = ")
            .append(program.at(t.ins().get(k))).append(";\n");
      }
      body.append("  __global float* out = ").append(program.at(t.out())).append(";\n");
      if (add) {
        StringBuilder sum = new StringBuilder("in0[i]");
        for (int k = 1; k < t.ins().size(); k++) {
          sum.append(" + in").append(k).append("[i]");
        }
        body.append("  out[i] = ").append(ClActivation.fused(node, withActivation, sum.toString()))
            .append(";\n");
      } else {
        body.append("  const int px = i / ").append(out.channels()).append(";\n");
        body.append("  const int c = i - px * ").append(out.channels()).append(";\n");
        body.append("  float v;\n");
        int at = 0;
        for (int k = 0; k < t.ins().size(); k++) {
          int ck = node.inputs().get(k).channels();
          body.append(k == 0 ? "  if" : "  else if").append(" (c < ").append(at + ck)
              .append(") v = in").append(k).append("[px * ").append(ck).append(" + c - ")
              .append(at).append("];\n");
          at += ck;
        }
        body.append("  out[i] = ").append(ClActivation.fused(node, withActivation, "v")).append(";\n");
      }
      program.perSample(
          kernel, kernel + ": " + node.describe() + " of " + node.inputs() + " -> " + out, size,
          body.toString());
      program.launch("forward", kernel, true, size);
      program.launch("infer", kernel, true, size);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    if (add) {
      return;
    }
    String kernel = name + "_backward_input";
    StringBuilder body = new StringBuilder();
    body.append("  __global const float* d = ").append(program.workspace(t.gradient())).append(";\n");
    body.append("  const int px = i / ").append(out.channels()).append(";\n");
    body.append("  const int c = i - px * ").append(out.channels()).append(";\n");
    int at = 0;
    for (int k = 0; k < t.ins().size(); k++) {
      int ck = node.inputs().get(k).channels();
      int dx = t.inputGradients().get(k);
      if (dx >= 0) {
        body.append("  if (c >= ").append(at).append(" && c < ").append(at + ck).append(") ")
            .append("(").append(program.workspace(dx)).append(")[px * ").append(ck)
            .append(" + c - ").append(at).append("] = d[i];\n");
      }
      at += ck;
    }
    program.perSample(
        kernel, kernel + ": each source's channels of the gradient " + out, size, body.toString());
    program.launch("backward", kernel, true, size);
  }

  /** After a layer's backward kernels: its gradient transfers, a kernel each. */
  static void transfers(ClProgram program, String name, TrainingStep t) {
    for (int k = 0; k < t.transfers().size(); k++) {
      TrainingPlan.Transfer transfer = t.transfers().get(k);
      String kernel = name + "_gradient_" + (transfer.add() ? "sum" : "copy") + (k + 1);
      int size = Math.toIntExact(transfer.size());
      program.perSample(
          kernel,
          kernel + ": " + (transfer.add() ? "adds" : "copies") + " a gradient [" + size
              + "] into that of a layer several read",
          size,
          "  __global const float* from = " + program.workspace(transfer.from()) + ";\n"
              + "  __global float* to = " + program.workspace(transfer.to()) + ";\n"
              + "  to[i] " + (transfer.add() ? "+=" : "=") + " from[i];\n");
      program.launch("backward", kernel, true, size);
    }
  }
}
