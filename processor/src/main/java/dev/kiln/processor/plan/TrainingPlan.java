package dev.kiln.processor.plan;

import java.util.List;

/**
 * How one training sample runs: every layer keeps its output (the backward pass reads them),
 * dropout keeps its mask, and gradients with respect to activations ping-pong between two regions
 * {@code gradientA} and {@code gradientB}. All of it lives in one per-thread workspace array.
 *
 * @param loss the runtime {@code Loss} constant's name
 * @param steps one per plan step, in forward order
 * @param output where the last layer's result (logits for the cross-entropies) ends up
 */
public record TrainingPlan(
    Plan plan,
    String loss,
    List<TrainingStep> steps,
    int gradientA,
    int gradientB,
    int workspaceSize,
    Plan.Location output) {

  public TrainingPlan {
    steps = List.copyOf(steps);
  }

  /**
   * One layer in training.
   *
   * @param in where its input is
   * @param out where it keeps its output (its input's location when it runs no code)
   * @param maskOffset where dropout keeps its mask, or -1
   * @param forward whether it runs code in the forward pass
   * @param lossActivation whether its activation is left to the loss (Softmax or Sigmoid on the
   *     last layer, computed from the logits with the cross-entropy)
   * @param backward whether it runs code in the backward pass (it has parameters, or a layer
   *     before it has)
   * @param computesInputGradient whether it must compute the gradient for its input
   * @param gradient where the gradient of its output is when its backward pass starts
   * @param inputGradient where it leaves the gradient of its input
   */
  public record TrainingStep(
      Step step,
      Plan.Location in,
      Plan.Location out,
      int maskOffset,
      boolean forward,
      boolean lossActivation,
      boolean backward,
      boolean computesInputGradient,
      int gradient,
      int inputGradient) {}
}
