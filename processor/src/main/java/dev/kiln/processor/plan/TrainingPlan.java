package dev.kiln.processor.plan;

import dev.kiln.processor.model.Node;
import java.util.List;

/**
 * How one training sample runs: every layer keeps its output (the backward pass reads them),
 * dropout keeps its mask, and each layer's output gradient gets a region of its own for as long
 * as it is needed ({@link Regions}: a chain alternates between two). A layer read by several
 * others sums their gradients: the first one to finish hands its region over, the others add into
 * it ({@link Transfer}). All of it lives in one per-thread workspace array.
 *
 * @param loss the runtime {@code Loss} constant's name
 * @param steps one per plan step, in forward order
 * @param lossGradient where the loss leaves the gradient of the last layer's output
 * @param statisticsSize floats of one batch's statistics: per BatchNorm, its mean, inverse
 *     standard deviation, sum of dy and sum of dy times xhat, a channel each
 * @param output where the last layer's result (logits for the cross-entropies) ends up
 * @param tile samples per tile of {@code trainTile}: each sample has a workspace of its own,
 *     steps that {@link #runsOverTiles} run forward and backward once over the tile, the others
 *     once per sample; 1 where none does (or the network trains a batch at a time)
 */
public record TrainingPlan(
    Plan plan,
    String loss,
    List<TrainingStep> steps,
    int lossGradient,
    int statisticsSize,
    int workspaceSize,
    Plan.Location output,
    int tile) {

  public TrainingPlan {
    steps = List.copyOf(steps);
  }

  /**
   * Whether {@code trainTile} runs step {@code index} once over its tile: its op says so ({@code
   * Op.trainsOverTiles}), it runs forward code, and it reads one layer's output (the tile kernels
   * take samples a fixed stride apart, which the caller's inputs are not).
   */
  public boolean runsOverTiles(int index) {
    TrainingStep t = steps.get(index);
    Node node = t.step().node();
    return tile > 1 && t.forward() && node.trainsOverTiles() && node.sources().size() == 1
        && !t.in().isInput();
  }

  /**
   * One layer in training.
   *
   * @param ins where its inputs are
   * @param out where it keeps its output (its input's location when it runs no code)
   * @param maskOffset where dropout keeps its mask, or -1
   * @param forward whether it runs code in the forward pass
   * @param lossActivation whether its activation is left to the loss (Softmax or Sigmoid on the
   *     last layer, computed from the logits with the cross-entropy)
   * @param backward whether it runs code in the backward pass
   * @param gradient where the gradient of its output is when its backward pass starts
   * @param inputGradients per source, where its backward pass leaves that source's gradient, or
   *     -1 where the source needs none (the input, or layers without parameters before them)
   * @param transfers what moves those gradients to their sources' regions afterwards
   * @param statisticsOffset where a BatchNorm's batch statistics start, or -1
   */
  public record TrainingStep(
      Step step,
      List<Plan.Location> ins,
      Plan.Location out,
      int maskOffset,
      boolean forward,
      boolean lossActivation,
      boolean backward,
      int gradient,
      List<Integer> inputGradients,
      List<Transfer> transfers,
      int statisticsOffset) {

    public TrainingStep {
      ins = List.copyOf(ins);
      inputGradients = List.copyOf(inputGradients);
      transfers = List.copyOf(transfers);
    }

    public Plan.Location in() {
      return ins.get(0);
    }

    /** Whether it computes the gradient of its (first) input. */
    public boolean computesInputGradient() {
      return inputGradients.get(0) >= 0;
    }

    /** Where it leaves the gradient of its (first) input. */
    public int inputGradient() {
      return inputGradients.get(0);
    }
  }

  /**
   * After a backward step: {@code size} floats at {@code from} copied to, or added into, the
   * gradient region at {@code to} of a layer that several others read: the step's source number
   * {@code input}.
   */
  public record Transfer(boolean add, int from, int to, long size, int input) {}
}
