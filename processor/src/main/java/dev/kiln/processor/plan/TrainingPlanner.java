package dev.kiln.processor.plan;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Lays out one training sample's workspace: see {@link TrainingPlan}. */
public final class TrainingPlanner {
  private TrainingPlanner() {}

  public static TrainingPlan plan(Plan plan) {
    List<Step> steps = plan.steps();
    int n = steps.size();
    Optional<Activation> last = lastActivation(steps.get(n - 1).node());
    String loss = "MEAN_SQUARED_ERROR";
    if (last.isPresent() && last.get().kind() == Activation.Kind.SOFTMAX) {
      loss = "SOFTMAX_CROSS_ENTROPY";
    } else if (last.isPresent() && last.get().kind() == Activation.Kind.SIGMOID) {
      loss = "SIGMOID_CROSS_ENTROPY";
    }
    boolean lossActivation = !loss.equals("MEAN_SQUARED_ERROR");

    // Forward: every layer that computes something keeps its output.
    long offset = 0;
    long largest = 1;
    Plan.Location current = Plan.Location.INPUT;
    Plan.Location[] ins = new Plan.Location[n];
    Plan.Location[] outs = new Plan.Location[n];
    int[] masks = new int[n];
    boolean[] forward = new boolean[n];
    for (int i = 0; i < n; i++) {
      Node node = steps.get(i).node();
      boolean leftToLoss = lossActivation && i == n - 1;
      masks[i] = -1;
      ins[i] = current;
      forward[i] = runsForward(node, leftToLoss);
      if (forward[i]) {
        outs[i] = Plan.Location.workspace(Math.toIntExact(offset));
        offset += node.output().size();
        if (node.op() instanceof Op.Dropout) {
          masks[i] = Math.toIntExact(offset);
          offset += node.output().size();
        }
      } else {
        outs[i] = current;
      }
      largest = Math.max(largest, node.output().size());
      current = outs[i];
    }
    int gradientA = Math.toIntExact(offset);
    int gradientB = Math.toIntExact(offset + largest);
    int size = Math.toIntExact(offset + 2 * largest);

    // Backward: layers after the last one with parameters need no input gradient.
    boolean[] parametersBefore = new boolean[n];
    for (int i = 1; i < n; i++) {
      parametersBefore[i] = parametersBefore[i - 1] || steps.get(i - 1).node().parameterCount() > 0;
    }
    TrainingPlan.TrainingStep[] result = new TrainingPlan.TrainingStep[n];
    int gradient = gradientA;
    for (int i = n - 1; i >= 0; i--) {
      Node node = steps.get(i).node();
      boolean leftToLoss = lossActivation && i == n - 1;
      boolean backward =
          (node.parameterCount() > 0 || parametersBefore[i]) && runsBackward(node, leftToLoss);
      boolean computesInputGradient = backward && parametersBefore[i];
      int inputGradient = gradient;
      if (computesInputGradient && switchesRegion(node)) {
        inputGradient = gradient == gradientA ? gradientB : gradientA;
      }
      result[i] =
          new TrainingPlan.TrainingStep(
              steps.get(i), ins[i], outs[i], masks[i], forward[i], leftToLoss, backward,
              computesInputGradient, gradient, inputGradient);
      gradient = inputGradient;
    }
    return new TrainingPlan(plan, loss, Arrays.asList(result), gradientA, gradientB, size, current);
  }

  /** The activation the network ends with, fused or on a field of its own. */
  static Optional<Activation> lastActivation(Node node) {
    return node.op() instanceof Op.Activate a ? Optional.of(a.activation()) : node.activation();
  }

  private static boolean runsForward(Node node, boolean leftToLoss) {
    Op op = node.op();
    if (op instanceof Op.Activate) {
      return !leftToLoss;
    }
    if (op instanceof Op.Flatten) {
      return node.activation().isPresent() && !leftToLoss;
    }
    return true; // Conv, Pool, Dense, and Dropout (active in training)
  }

  private static boolean runsBackward(Node node, boolean leftToLoss) {
    return runsForward(node, leftToLoss) || node.op() instanceof Op.Conv
        || node.op() instanceof Op.Dense || node.op() instanceof Op.Pool;
  }

  /** Layers whose input gradient needs its own region (the others work in place). */
  private static boolean switchesRegion(Node node) {
    Op op = node.op();
    return op instanceof Op.Conv || op instanceof Op.Pool || op instanceof Op.Dense;
  }
}
