package dev.kiln.processor.plan;

import dev.kiln.processor.model.NetworkModel;
import java.util.List;

/**
 * How a network is laid out in memory: where each layer's parameters sit in the flat parameter
 * array, and which workspace region each layer reads and writes. Plain data for the emitters.
 *
 * @param steps one per node, in order (including nodes that need no code at inference)
 * @param folds the BatchNorms batch inference folds into the layer before them
 * @param stateCount floats of untrained state (BatchNorm moving statistics)
 * @param workspaceSize floats of scratch memory one forward pass needs
 * @param output where the network's output ends up
 */
public record Plan(
    NetworkModel model,
    List<Step> steps,
    List<Fold> folds,
    int parameterCount,
    int stateCount,
    int workspaceSize,
    Location output) {

  public Plan {
    steps = List.copyOf(steps);
    folds = List.copyOf(folds);
  }

  /**
   * A BatchNorm that batch inference folds into the convolution or dense layer before it: that
   * layer has no activation, nothing else reads it, and the BatchNorm runs in place on its output.
   *
   * @param producer the step index of the convolution or dense layer
   * @param norm the step index of the BatchNorm
   */
  public record Fold(int producer, int norm) {}

  /** Whether training needs batch statistics (a BatchNorm), and so runs a batch at a time. */
  public boolean batchStatistics() {
    return stateCount > 0;
  }

  /** A region that holds one activation: the caller's input array, or an offset in the workspace. */
  public record Location(boolean isInput, int offset) {
    public static final Location INPUT = new Location(true, 0);

    public static Location workspace(int offset) {
      return new Location(false, offset);
    }

    public String array() {
      return isInput ? "x" : "ws";
    }

    public String offsetExpression() {
      return isInput ? "xo" : String.valueOf(offset);
    }
  }
}
