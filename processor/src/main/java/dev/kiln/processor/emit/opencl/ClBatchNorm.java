package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * BatchNorm in OpenCL C, the Java code's algorithm (see {@code BatchNormEmitter}), in the same
 * order but summing in float where the Java code sums in double: in training, a kernel with one work item per channel reduces the batch's
 * mean and variance in a fixed order and updates the moving averages in {@code s}, then one per
 * value normalizes; backward, one per channel sums {@code dy} and {@code dy xhat} (and writes the
 * gamma and beta gradients), then one per value computes the input gradient in place. Inference
 * uses the moving statistics. {@code bs} holds, per BatchNorm from {@code at}, the mean, the
 * inverse standard deviation and the two sums, a channel each.
 */
final class ClBatchNorm {
  private ClBatchNorm() {}

  static void emit(ClProgram program, String name, TrainingStep t, int at, Op.BatchNorm bn) {
    Step step = t.step();
    Node node = step.node();
    int c = node.output().channels();
    int size = Math.toIntExact(node.output().size());
    long pixels = size / c;
    String in = program.at(t.in());
    String gamma = "p[" + step.weightOffset() + " + c]";
    String beta = "p[" + step.biasOffset() + " + c]";
    String mean = "bs[" + at + " + c]";
    String invStd = "bs[" + (at + c) + " + c]";
    String eps = ClProgram.f(bn.epsilon());
    String perChannel = "  const int c = i % " + c + ";\n";

    // Training: the batch's statistics, one work item per channel, in sample order.
    String statistics = name + "_statistics";
    program.total(
        statistics,
        statistics + ": mean and 1/sigma of " + node.input() + " per channel over the batch; moving averages",
        c,
        "  const int c = i;\n"
            + "  const int count = n * " + pixels + ";\n"
            + "  float sum = 0.0f;\n"
            + "  for (int b = 0; b < n; b++) {\n"
            + "    __global const float* src = " + in + ";\n"
            + "    for (int k = 0; k < " + pixels + "; k++) sum += src[k * " + c + " + c];\n"
            + "  }\n"
            + "  const float mean = sum / count;\n"
            + "  float squares = 0.0f;\n"
            + "  for (int b = 0; b < n; b++) {\n"
            + "    __global const float* src = " + in + ";\n"
            + "    for (int k = 0; k < " + pixels + "; k++) { const float v = src[k * " + c + " + c] - mean; squares += v * v; }\n"
            + "  }\n"
            + "  const float variance = squares / count;\n"
            + "  " + mean + " = mean;\n"
            + "  " + invStd + " = 1.0f / sqrt(variance + " + eps + ");\n"
            + "  const float unbiased = count > 1 ? variance * count / (count - 1) : variance;\n"
            + "  s[" + step.stateOffset() + " + c] = " + ClProgram.f(bn.momentum()) + " * s["
            + step.stateOffset() + " + c] + " + ClProgram.f(1 - bn.momentum()) + " * mean;\n"
            + "  s[" + (step.stateOffset() + c) + " + c] = " + ClProgram.f(bn.momentum()) + " * s["
            + (step.stateOffset() + c) + " + c] + " + ClProgram.f(1 - bn.momentum()) + " * unbiased;\n");
    program.launch("forward", statistics, false, c);

    boolean withActivation = !t.lossActivation();
    String forward = name + "_forward";
    program.perSample(
        forward, forward + ": " + node.describe() + " by the batch's statistics, " + node.output(), size,
        perChannel
            + "  __global const float* src = " + in + ";\n"
            + "  __global float* y = " + program.at(t.out()) + ";\n"
            + "  const float v = " + gamma + " * (src[i] - " + mean + ") * " + invStd + " + " + beta + ";\n"
            + "  y[i] = " + ClActivation.fused(node, withActivation, "v") + ";\n");
    program.launch("forward", forward, true, size);
    ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward");

    String infer = name + "_infer";
    program.perSample(
        infer, infer + ": " + node.describe() + " by the moving statistics, " + node.output(), size,
        perChannel
            + "  __global const float* src = " + in + ";\n"
            + "  __global float* y = " + program.at(t.out()) + ";\n"
            + "  const float factor = " + gamma + " / sqrt(s[" + (step.stateOffset() + c) + " + c] + " + eps + ");\n"
            + "  const float v = (src[i] - s[" + step.stateOffset() + " + c]) * factor + " + beta + ";\n"
            + "  y[i] = " + ClActivation.fused(node, withActivation, "v") + ";\n");
    program.launch("infer", infer, true, size);
    ClActivation.fusedSoftmax(program, name + "_infer", node, withActivation, t.out(), "infer");

    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String d = program.workspace(t.gradient());
    String sums = name + "_backward_sums";
    program.total(
        sums,
        sums + ": sums of dy and dy xhat per channel over the batch; the gamma and beta gradients",
        c,
        "  const int c = i;\n"
            + "  float dy = 0.0f;\n"
            + "  float dyXhat = 0.0f;\n"
            + "  for (int b = 0; b < n; b++) {\n"
            + "    __global const float* src = " + in + ";\n"
            + "    __global const float* d = " + d + ";\n"
            + "    for (int k = 0; k < " + pixels + "; k++) {\n"
            + "      const float v = d[k * " + c + " + c];\n"
            + "      dy += v;\n"
            + "      dyXhat += v * ((src[k * " + c + " + c] - " + mean + ") * " + invStd + ");\n"
            + "    }\n"
            + "  }\n"
            + "  bs[" + (at + 2 * c) + " + c] = dy;\n"
            + "  bs[" + (at + 3 * c) + " + c] = dyXhat;\n"
            + "  g[" + step.weightOffset() + " + c] = dyXhat * scale;\n"
            + "  g[" + step.biasOffset() + " + c] = dy * scale;\n");
    program.launch("backward", sums, false, c);
    String input = name + "_backward_input";
    program.perSample(
        input, input + ": dx = gamma / sigma (dy - sum(dy) / N - xhat sum(dy xhat) / N), in place",
        size,
        perChannel
            + "  __global const float* src = " + in + ";\n"
            + "  __global float* d = " + d + ";\n"
            + "  const float inverseN = 1.0f / (n * " + pixels + ");\n"
            + "  const float xhat = (src[i] - " + mean + ") * " + invStd + ";\n"
            + "  d[i] = " + gamma + " * " + invStd + " * (d[i] - bs[" + (at + 2 * c) + " + c] * inverseN"
            + " - xhat * bs[" + (at + 3 * c) + " + c] * inverseN);\n");
    program.launch("backward", input, true, size);
  }
}
