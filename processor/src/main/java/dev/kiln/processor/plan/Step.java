package dev.kiln.processor.plan;

import dev.kiln.processor.model.Node;
import java.util.List;

/**
 * One layer's part of the plan.
 *
 * @param weightOffset offset of its weights in the parameter array (meaningless without weights)
 * @param biasOffset offset of its bias, or -1 without one
 * @param biasConstant the generated constant that holds {@code biasOffset} ({@code C1_BIAS}; a
 *     folded step's is its BatchNorm's), empty without a bias
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
    String biasConstant,
    int stateOffset,
    String constantPrefix,
    List<Plan.Location> ins,
    Plan.Location out) {

  public Step {
    ins = List.copyOf(ins);
  }

  /** The generated constant that holds {@code weightOffset}, e.g. {@code C1_WEIGHTS}. */
  public String weightConstant() {
    return constantPrefix + "_WEIGHTS";
  }

  /** The generated constant that holds {@code stateOffset}, e.g. {@code BN1_STATE}. */
  public String stateConstant() {
    return constantPrefix + "_STATE";
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
