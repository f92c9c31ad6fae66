package dev.kiln.processor.plan;

import dev.kiln.processor.model.NetworkModel;
import java.util.List;

/**
 * How a network is laid out in memory: where each layer's parameters sit in the flat parameter
 * array, and which workspace region each layer reads and writes. Plain data for the emitters.
 *
 * @param steps one per node, in order (including nodes that need no code at inference)
 * @param folds the BatchNorms batch inference folds into the layer before them
 * @param poolFusions the convolutions whose max pool inference may take straight from them
 * @param stateCount floats of untrained state (BatchNorm moving statistics)
 * @param workspaceSize floats of scratch memory one forward pass needs
 * @param output where the network's output ends up
 */
public record Plan(
    NetworkModel model,
    List<Step> steps,
    List<Fold> folds,
    List<PoolFusion> poolFusions,
    int parameterCount,
    int stateCount,
    int workspaceSize,
    Location output) {

  public Plan {
    steps = List.copyOf(steps);
    folds = List.copyOf(folds);
    poolFusions = List.copyOf(poolFusions);
  }

  /**
   * A BatchNorm that batch inference folds into the convolution or dense layer before it: that
   * layer has no activation, nothing else reads it, and the BatchNorm runs in place on its output.
   *
   * @param producer the step index of the convolution or dense layer
   * @param norm the step index of the BatchNorm
   */
  public record Fold(int producer, int norm) {}

  /**
   * A convolution read only by the 2x2 max pool of stride 2 after it, with ReLU or no activation
   * and an output of even height and width: inference may pool straight from the convolution's
   * result and never write it (pooling commutes with the bias and with ReLU, so the values are
   * the same). The emitter takes the fusion where the convolution's kernel keeps that result
   * apart anyway (the planar one).
   *
   * @param conv the step index of the convolution
   * @param pool the step index of the max pool, {@code conv + 1}
   */
  public record PoolFusion(int conv, int pool) {}

  /** The fusion whose convolution or pool is step {@code index}, or null. */
  public PoolFusion poolFusionAt(int index) {
    for (PoolFusion fusion : poolFusions) {
      if (fusion.conv() == index || fusion.pool() == index) {
        return fusion;
      }
    }
    return null;
  }

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
