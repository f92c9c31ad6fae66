package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * Dense kernels over {@code [in, out]} weights: forward with one work item per output unit
 * (neighbouring items read neighbouring weights), the input gradient with one per input value,
 * the weight gradient with one per weight and the bias gradient with one per unit, each summing
 * over the batch.
 */
final class ClDense {
  private ClDense() {}

  static void emit(ClProgram program, String name, TrainingStep t, Op.Dense dense) {
    Step step = t.step();
    Node node = step.node();
    int units = dense.units();
    int inSize = Math.toIntExact(node.input().size());
    int wo = step.weightOffset();
    String shapes =
        node.name() + ": " + node.describe() + ", [" + inSize + "] -> [" + units + "], weights ["
            + inSize + ", " + units + "] at p[" + wo + "]"
            + (step.biasOffset() >= 0 ? ", bias at p[" + step.biasOffset() + "]" : "");

    if (t.forward()) {
      boolean withActivation = !t.lossActivation();
      String body =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n"
              + "  float acc = " + (step.biasOffset() >= 0 ? "p[" + step.biasOffset() + " + i]" : "0.0f") + ";\n"
              + "  __global const float* w = p + " + wo + " + i;\n"
              + "  for (int k = 0; k < " + inSize + "; k++) acc += in[k] * w[k * " + units + "];\n"
              + "  out[i] = " + ClActivation.fused(node, withActivation, "acc") + ";\n";
      program.perSample(name + "_forward", name + "_forward: " + shapes, units, body);
      program.launch("forward", name + "_forward", true, units);
      program.launch("infer", name + "_forward", true, units);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String dOut = program.workspace(t.gradient());
    int weights = inSize * units;
    program.parameterGradient(
        name + "_backward_kernel",
        name + "_backward_kernel: the batch's mean gradient of each weight; " + shapes,
        weights, 1, wo,
        "  const int row = i / " + units + ";\n"
            + "  const int col = i - row * " + units + ";\n",
        "__global const float* in = " + program.at(t.in()) + ";\n"
            + "__global const float* d = " + dOut + ";\n"
            + "acc[0] += in[row] * d[col];\n");
    if (step.biasOffset() >= 0) {
      program.parameterGradient(
          name + "_backward_bias",
          name + "_backward_bias: the batch's mean gradient of each bias [" + units + "]",
          units, 1, step.biasOffset(), "",
          "__global const float* d = " + dOut + ";\n"
              + "acc[0] += d[i];\n");
    }
    if (t.computesInputGradient()) {
      program.perSample(
          name + "_backward_input",
          name + "_backward_input: the gradient of each input value; " + shapes,
          inSize,
          "  __global const float* d = " + dOut + ";\n"
              + "  __global float* dx = " + program.workspace(t.inputGradient()) + ";\n"
              + "  __global const float* w = p + " + wo + " + i * " + units + ";\n"
              + "  float acc = 0.0f;\n"
              + "  for (int j = 0; j < " + units + "; j++) acc += w[j] * d[j];\n"
              + "  dx[i] = acc;\n");
      program.launch("backward", name + "_backward_input", true, inSize);
    }
  }
}
