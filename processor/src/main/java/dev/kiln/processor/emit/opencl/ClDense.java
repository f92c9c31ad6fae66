package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Step;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.List;
import java.util.Optional;

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
      // Up to three vectors of units (24) by four samples: fewer loads per multiply-add than one
      // vector by eight samples.
      int block = units % 24 == 0 ? 24 : ClTiledConv.channelBlock(units);
      int blocks = units / block;
      List<int[]> pieces = ClTiledConv.pieces(block);
      int samples = Math.min(8, Math.max(1, ClTiledConv.MOST_ACCUMULATORS / pieces.size()));
      StringBuilder body = new StringBuilder();
      body.append("  const int u0 = i * ").append(block).append(";\n");
      body.append("  __global const float* w = p + ").append(wo).append(" + u0;\n");
      for (int k = 0; k < samples; k++) {
        // A short last tile repeats its last sample rather than read past the batch.
        body.append("  const int s").append(k).append(" = min(b0 + ").append(k).append(", n - 1);\n");
        String sampleIn = program.at(t.in()).replace("(size_t)b ", "(size_t)s" + k + " ");
        body.append("  __global const float* in").append(k).append(" = ").append(sampleIn).append(";\n");
      }
      for (int[] piece : pieces) {
        String type = ClTiledConv.type(piece[1]);
        String start =
            step.biasOffset() >= 0
                ? ClTiledConv.load(piece[1], "p + " + step.biasOffset() + " + u0 + " + piece[0])
                : "(" + type + ")(0.0f)";
        for (int k = 0; k < samples; k++) {
          body.append("  ").append(type).append(" a").append(k).append('_').append(piece[0]).append(" = ")
              .append(start).append(";\n");
        }
      }
      body.append("  for (int k = 0; k < ").append(inSize).append("; k++) {\n");
      ClTiledConv.appendVectors(body, "    ", pieces, "w", "w + k * " + units);
      ClTiledConv.appendMultiplyAdds(body, "    ", pieces, "w", samples, k -> "in" + k + "[k]");
      body.append("  }\n");
      for (int k = 0; k < samples; k++) {
        String sampleOut = program.at(t.out()).replace("(size_t)b ", "(size_t)s" + k + " ");
        body.append("  if (b0 + ").append(k).append(" < n) {\n");
        body.append("    __global float* out = ").append(sampleOut).append(" + u0;\n");
        for (int[] piece : pieces) {
          body.append("    ").append(ClTiledConv.store(piece[1],
              ClActivation.fused(node, withActivation, "a" + k + "_" + piece[0]), "out + " + piece[0])).append('\n');
        }
        body.append("  }\n");
      }
      String kernel = name + "_forward";
      program.perSampleTile(
          kernel,
          kernel + ": " + shapes + "; a work item per tile of " + samples + " samples by " + block + " units (vectors of "
              + ClTiledConv.describe(pieces) + "), each weight vector read once per tile",
          samples, blocks, body.toString().replace(" + 0)", ")").replace(" + 0;", ";"));
      program.launch("forward", kernel, true, blocks);
      program.launch("infer", kernel, true, blocks);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward", "infer");
    }
    if (!t.backward()) {
      return;
    }
    ClActivation.fusedBackward(program, name, t);
    String dOut = program.workspace(t.gradient());
    int weights = inSize * units;
    ClTiledConv.GradientTiles tiles =
        ClTiledConv.kernelGradient(
            new ClTiledConv.Shape(1, 1, inSize, 1, 1, units, 1, 1, 1, 1, 0, 0), program.at(t.in()), dOut);
    program.parameterGradientTiles(
        name + "_backward_kernel",
        name + "_backward_kernel: the batch's mean gradient of each weight, " + tiles.strategy()
            .replace("kernel rows (kx, ci)", "input rows") + "; " + shapes,
        tiles.items(), inSize * units, wo, tiles.prelude(), tiles.perSample(), tiles.store());
    if (step.biasOffset() >= 0) {
      program.parameterGradient(
          name + "_backward_bias",
          name + "_backward_bias: the batch's mean gradient of each bias [" + units + "]",
          units, 1, step.biasOffset(), "",
          "__global const float* d = " + dOut + ";\n"
              + "acc[0] += d[i];\n");
    }
    if (t.computesInputGradient()) {
      Optional<Activation> derivative = program.derivativeOfInput(t);
      ClTiledConv.Gate gate = new ClTiledConv.Gate(derivative, program.at(t.in()));
      program.perSample(
          name + "_backward_input",
          name + "_backward_input: the gradient of each input value" + ClActivation.appliedDerivative(derivative)
              + "; " + shapes,
          inSize,
          "  __global const float* d = " + dOut + ";\n"
              + "  __global float* dx = " + program.workspace(t.inputGradient()) + ";\n"
              + "  __global const float* w = p + " + wo + " + i * " + units + ";\n"
              + "  float acc = 0.0f;\n"
              + "  for (int j = 0; j < " + units + "; j++) acc += w[j] * d[j];\n"
              + gate.declare("in", "0")
              + "  dx[i] = " + gate.apply("in[i]", "acc") + ";\n");
      program.launch("backward", name + "_backward_input", true, inSize);
    }
  }
}
