package dev.kiln.processor.plan;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;

/**
 * One layer's part of the plan.
 *
 * @param weightOffset offset of its weights in the parameter array (meaningless without weights)
 * @param biasOffset offset of its bias, or -1 without one
 * @param constantPrefix upper-case name for its generated constants, unique in the class
 * @param in where it reads its input
 * @param out where it writes its output (the same as {@code in} for in-place and no-op steps)
 */
public record Step(
    Node node,
    int weightOffset,
    int biasOffset,
    String constantPrefix,
    Plan.Location in,
    Plan.Location out) {

  /** Whether the step runs code at inference (Flatten and Dropout alone are no-ops there). */
  public boolean runsAtInference() {
    Op op = node.op();
    boolean identity = op instanceof Op.Flatten || op instanceof Op.Dropout;
    return !identity || node.activation().isPresent();
  }

  /** Whether it can write its output over its input. */
  public boolean inPlace() {
    Op op = node.op();
    return op instanceof Op.Activate || op instanceof Op.Flatten || op instanceof Op.Dropout;
  }
}
