package dev.kiln.processor.plan;

import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
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
 * @param tile samples per tile of batched inference ({@code predictBatch}): each sample has a
 *     workspace of its own, steps that {@link #runsOverTiles} run once over the tile, the others
 *     once per sample; 1 where no step runs over tiles
 */
public record Plan(
    NetworkModel model,
    List<Step> steps,
    List<Fold> folds,
    List<PoolFusion> poolFusions,
    int parameterCount,
    int stateCount,
    int workspaceSize,
    Location output,
    int tile) {

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
   * @param folded the producer as it runs folded: with a bias at the BatchNorm's beta, the
   *     BatchNorm's activation, writing the BatchNorm's output, named apart from every layer
   */
  public record Fold(int producer, int norm, Step folded) {}

  /**
   * A convolution read only by the 2x2 max pool of stride 2 after it, with ReLU or no activation
   * and an output of even height and width: inference may pool straight from the convolution's
   * result and never write it (pooling commutes with the bias and with ReLU, so the values are
   * the same). Only where the convolution's vector path keeps that result apart anyway, in
   * planes ({@code Op.takesPoolFusion}).
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

  /**
   * Whether batched inference runs step {@code index} once over a tile of samples: its op says so
   * ({@code Op.runsOverTiles}), the step runs at inference, and no pool fusion takes it.
   */
  public boolean runsOverTiles(int index) {
    Step step = steps.get(index);
    Node node = step.node();
    return tile > 1 && step.runsAtInference() && node.runsOverTiles() && poolFusionAt(index) == null;
  }

  /** Whether training needs batch statistics (a BatchNorm), and so runs a batch at a time. */
  public boolean batchStatistics() {
    return stateCount > 0;
  }

  /** The fold whose BatchNorm is step {@code index}, or null. */
  public Fold foldOfNorm(int index) {
    return folds.stream().filter(f -> f.norm() == index).findFirst().orElse(null);
  }

  /** The fold whose producer is step {@code index}, or null. */
  public Fold foldOfProducer(int index) {
    return folds.stream().filter(f -> f.producer() == index).findFirst().orElse(null);
  }

  /**
   * {@code base}, with underscores added until no layer has that name: a name for a generated
   * step whose methods cannot meet a layer's.
   */
  public String unusedName(String base) {
    return unusedName(steps, base);
  }

  static String unusedName(List<Step> steps, String base) {
    String name = base;
    while (true) {
      String candidate = name;
      if (steps.stream().noneMatch(s -> s.node().name().equals(candidate))) {
        return name;
      }
      name += "_";
    }
  }

  /** A region that holds one activation: the caller's input array, or an offset in the workspace. */
  public record Location(boolean isInput, int offset) {
    public static final Location INPUT = new Location(true, 0);

    public static Location workspace(int offset) {
      return new Location(false, offset);
    }
  }
}
