package dev.kiln.processor.plan;

import dev.kiln.processor.model.Node;
import java.util.List;

/**
 * One layer's part of the plan.
 *
 * @param weightOffset offset of its weights in the parameter array (meaningless without weights)
 * @param biasOffset offset of its bias, or -1 without one
 * @param stateOffset offset of its state (a BatchNorm's moving mean, then variance) in the
 *     model's state array, or -1 without one
 * @param constantPrefix upper-case name for its generated constants, unique in the class
 * @param ins where it reads each of its sources
 * @param out where it writes its output (its first input's for in-place and no-op steps)
 */
public record Step(
    Node node,
    int weightOffset,
    int biasOffset,
    int stateOffset,
    String constantPrefix,
    List<Plan.Location> ins,
    Plan.Location out) {

  public Step {
    ins = List.copyOf(ins);
  }

  /** Where it reads its (first) input. */
  public Plan.Location in() {
    return ins.get(0);
  }

  /** Whether the step runs code at inference (Flatten and Dropout alone are no-ops there). */
  public boolean runsAtInference() {
    return node.runsAtInference();
  }

  /** Whether it can write its output over its first input. */
  public boolean inPlace() {
    return node.op().inPlace();
  }
}
