package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;

/**
 * Inverted dropout. The mask is the Java code's, value for value: a SplitMix64 stream seeded with
 * the sample's noise and the layer's salt, whose {@code i}-th draw is a pure function of {@code
 * i} (the stream's state after {@code i + 1} steps is {@code seed + (i + 1) * golden}), so each
 * work item computes its own draw. At inference the layer copies its input (through its
 * activation, if it has one).
 */
final class ClDropout {
  private ClDropout() {}

  static void emit(
      ClProgram program, String name, TrainingStep t, int layerIndex, Op.Dropout dropout) {
    Node node = t.step().node();
    int size = Math.toIntExact(node.output().size());
    float scale = (float) (1.0 / (1.0 - dropout.rate()));
    long salt = (layerIndex + 1) * 0xD1B54A32D192ED03L;
    boolean withActivation = !t.lossActivation();
    String shapes = node.name() + ": " + node.describe() + ", " + node.input();
    if (t.forward()) {
      String io =
          "  __global const float* in = " + program.at(t.in()) + ";\n"
              + "  __global float* out = " + program.at(t.out()) + ";\n";
      program.perSample(
          name + "_forward",
          name + "_forward (training): " + shapes + ", keeps each value with probability "
              + (1 - dropout.rate()) + ", scaled by " + scale,
          size,
          io
              + "  __global float* mask = " + program.workspace(t.maskOffset()) + ";\n"
              + "  ulong z = (noise[b] ^ " + Long.toUnsignedString(salt) + "UL) + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;\n"
              + "  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;\n"
              + "  z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;\n"
              + "  z ^= z >> 31;\n"
              + "  const float keep = (float)(z >> 40) * (1.0f / 16777216.0f) < "
              + ClProgram.f(dropout.rate()) + " ? 0.0f : " + ClProgram.f(scale) + ";\n"
              + "  mask[i] = keep;\n"
              + "  const float v = in[i] * keep;\n"
              + "  out[i] = " + ClActivation.fused(node, withActivation, "v") + ";\n");
      program.launch("forward", name + "_forward", true, size);
      ClActivation.fusedSoftmax(program, name, node, withActivation, t.out(), "forward");

      program.perSample(
          name + "_infer", name + "_infer (inference, the identity): " + shapes, size,
          io + "  out[i] = " + ClActivation.fused(node, withActivation, "in[i]") + ";\n");
      program.launch("infer", name + "_infer", true, size);
      if (withActivation && node.activation().isPresent()
          && !ClActivation.elementwise(node.activation().get())) {
        program.launch("infer", name + "_softmax", true, 1);
      }
    }
    if (t.backward()) {
      ClActivation.fusedBackward(program, name, t);
      program.perSample(
          name + "_backward", name + "_backward: the gradient times the mask, in place; " + shapes, size,
          "  __global const float* mask = " + program.workspace(t.maskOffset()) + ";\n"
              + "  __global float* d = " + program.workspace(t.gradient()) + ";\n"
              + "  d[i] *= mask[i];\n");
      program.launch("backward", name + "_backward", true, size);
    }
  }
}
