package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.plan.TrainingPlan;

/**
 * The loss, one work item per sample, as {@code dev.kiln.runtime.Loss} computes it: softmax and
 * sigmoid cross-entropy from the logits (stable for any logit), or mean squared error on the
 * output. It leaves the gradient of the network's output in the first gradient region, and the
 * sample's loss and whether its highest output is the target's highest in {@code stats[2b]} and
 * {@code stats[2b + 1]}. Sums are in float here where the Java code uses double.
 */
final class ClLoss {
  private ClLoss() {}

  static void emit(ClProgram program) {
    TrainingPlan training = program.training;
    int n = Math.toIntExact(training.plan().model().output().size());
    String head =
        "  __global const float* z = " + program.at(training.output()) + ";\n"
            + "  __global const float* tb = t + (size_t)b * " + n + ";\n"
            + "  __global float* d = " + program.workspace(training.lossGradient()) + ";\n"
            + "  float loss = 0.0f;\n"
            + "  int best = 0, target = 0;\n";
    String body =
        switch (training.loss()) {
          case "SOFTMAX_CROSS_ENTROPY" ->
              "  float m = z[0];\n"
                  + "  for (int k = 1; k < " + n + "; k++) m = fmax(m, z[k]);\n"
                  + "  float sum = 0.0f;\n"
                  + "  for (int k = 0; k < " + n + "; k++) sum += exp(z[k] - m);\n"
                  + "  const float logSum = m + log(sum);\n"
                  + "  for (int k = 0; k < " + n + "; k++) {\n"
                  + "    d[k] = exp(z[k] - logSum) - tb[k];\n"
                  + "    loss -= tb[k] * (z[k] - logSum);\n"
                  + "    if (z[k] > z[best]) best = k;\n"
                  + "    if (tb[k] > tb[target]) target = k;\n"
                  + "  }\n";
          case "SIGMOID_CROSS_ENTROPY" ->
              "  for (int k = 0; k < " + n + "; k++) {\n"
                  + "    const float v = z[k];\n"
                  + "    loss += fmax(v, 0.0f) - v * tb[k] + log1p(exp(-fabs(v)));\n"
                  + "    d[k] = (1.0f / (1.0f + exp(-v)) - tb[k]) / " + n + ";\n"
                  + "    if (z[k] > z[best]) best = k;\n"
                  + "    if (tb[k] > tb[target]) target = k;\n"
                  + "  }\n"
                  + "  loss /= " + n + ";\n";
          default ->
              "  for (int k = 0; k < " + n + "; k++) {\n"
                  + "    const float e = z[k] - tb[k];\n"
                  + "    loss += e * e;\n"
                  + "    d[k] = 2 * e / " + n + ";\n"
                  + "    if (z[k] > z[best]) best = k;\n"
                  + "    if (tb[k] > tb[target]) target = k;\n"
                  + "  }\n"
                  + "  loss /= " + n + ";\n";
        };
    program.perSample(
        "loss",
        "loss: " + training.loss() + " over [" + n + "] outputs, one work item per sample",
        1,
        head + body + "  stats[2 * b] = loss;\n  stats[2 * b + 1] = best == target ? 1.0f : 0.0f;\n");
    program.launch("loss", "loss", true, 1);
  }
}
