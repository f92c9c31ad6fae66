package dev.kiln.processor.plan;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Lays out parameters (layer by layer, weights then bias) and the activations of inference.
 * Activations live in one workspace whose regions are reused as soon as no later layer reads
 * them ({@link Regions}): a chain alternates between two regions, a graph keeps what its branches
 * still need. In-place layers write where they read when no one else reads it, layers that change
 * nothing at inference (Flatten, Dropout) pass their input on, and the caller's input is never
 * written.
 */
public final class Planner {
  private Planner() {}

  public static Plan plan(NetworkModel model) {
    List<Node> nodes = model.nodes();
    int[] readers = new int[nodes.size()];
    for (Node node : nodes) {
      for (int source : node.sources()) {
        if (source != Node.NETWORK_INPUT) {
          readers[source]++;
        }
      }
    }
    readers[nodes.size() - 1]++; // the copy to the caller's output

    Regions regions = new Regions(0);
    Map<Integer, Integer> pending = new HashMap<>(); // live region offset -> reads still to come
    Map<Integer, Long> sizes = new HashMap<>(); // live region offset -> floats
    List<Plan.Location> outputs = new ArrayList<>();
    List<Step> steps = new ArrayList<>();
    Set<String> prefixes = new HashSet<>();
    long offset = 0;
    long state = 0;
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      int weightOffset = Math.toIntExact(offset);
      offset += node.weightCount();
      int biasOffset = node.biasCount() > 0 ? Math.toIntExact(offset) : -1;
      offset += node.biasCount();
      int stateOffset = node.stateCount() > 0 ? Math.toIntExact(state) : -1;
      state += node.stateCount();
      String prefix = constantPrefix(node.name());
      for (int k = 2; !prefixes.add(prefix); k++) {
        prefix = constantPrefix(node.name()) + "_" + k;
      }

      List<Plan.Location> ins = new ArrayList<>();
      for (int source : node.sources()) {
        ins.add(source == Node.NETWORK_INPUT ? Plan.Location.INPUT : outputs.get(source));
      }
      Plan.Location first = ins.get(0);
      Plan.Location out;
      if (!node.runsAtInference()) {
        out = first; // passes its input on: its readers read that region
      } else if (node.op().inPlace() && !first.isInput() && pending.get(first.offset()) == 1) {
        out = first; // the last read of its input: overwrite it
      } else {
        out = Plan.Location.workspace(regions.allocate(node.output().size()));
        pending.put(out.offset(), 0);
        sizes.put(out.offset(), node.output().size());
      }
      // This step's reads are done; its readers will read its output.
      for (Plan.Location in : ins) {
        if (!in.isInput()) {
          pending.merge(in.offset(), -1, Integer::sum);
        }
      }
      if (!out.isInput()) {
        pending.merge(out.offset(), readers[i], Integer::sum);
      }
      Set<Plan.Location> touched = new HashSet<>(ins);
      touched.add(out); // an output no one reads (a dead branch) is free at once
      for (Plan.Location location : touched) {
        if (!location.isInput() && pending.get(location.offset()) == 0) {
          pending.remove(location.offset());
          regions.release(location.offset(), sizes.remove(location.offset()));
        }
      }
      outputs.add(out);
      String biasConstant = biasOffset >= 0 ? prefix + "_BIAS" : "";
      steps.add(
          new Step(node, weightOffset, biasOffset, biasConstant, stateOffset, prefix, ins, out));
    }
    int workspace = Math.max(1, regions.peak());
    boolean tiles =
        steps.stream().anyMatch(s -> s.runsAtInference() && s.node().runsOverTiles());
    return new Plan(
        model, steps, folds(steps, readers), poolFusions(steps, readers), Math.toIntExact(offset), Math.toIntExact(state), workspace,
        outputs.get(nodes.size() - 1), tile(tiles, workspace));
  }

  /** Most samples per tile of batched inference. */
  static final int MAX_TILE = 24;

  /**
   * Floats the workspaces of one tile may take together: 16 MiB. ResNet-18's samples take 4 MB
   * each, and its batch-16 inference ran at 25 images/s with tiles of 4, 14 with tiles of 8 (whose
   * 32 MB per thread left the caches for memory) and 16-18 sample by sample (2026-12-07, two
   * threads).
   */
  static final int TILE_WORKSPACE_BUDGET = 1 << 22;

  /**
   * Samples per tile of batched inference: as many as fit the budget, at most {@link #MAX_TILE},
   * from six on a multiple of six (the rows of the runtime's register block, so a dense layer's
   * matrix product has no short last block); 1, no tiles, where no step runs over tiles ({@code
   * any}) or fewer than two fit.
   * {@code workspaceSize} is one sample's: inference's, or training's (every layer's output and
   * gradient).
   */
  static int tile(boolean any, int workspaceSize) {
    int fit = Math.min(MAX_TILE, TILE_WORKSPACE_BUDGET / workspaceSize);
    if (!any || fit < 2) {
      return 1;
    }
    return fit >= 6 ? fit - fit % 6 : fit;
  }

  private static List<Plan.Fold> folds(List<Step> steps, int[] readers) {
    List<Plan.Fold> folds = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Step norm = steps.get(i);
      if (!norm.node().op().foldsIntoProducer()) {
        continue;
      }
      int source = norm.node().sources().get(0);
      if (source == Node.NETWORK_INPUT) {
        continue;
      }
      Node producer = steps.get(source).node();
      if (producer.op().withBatchNormFolded().isPresent()
          && producer.activation().isEmpty()
          && readers[source] == 1
          && norm.out().equals(steps.get(source).out())) {
        folds.add(new Plan.Fold(source, i, folded(steps, steps.get(source), norm)));
      }
    }
    return folds;
  }

  /** The producer as it runs with the BatchNorm folded in: see {@link Plan.Fold#folded()}. */
  private static Step folded(List<Step> steps, Step producer, Step norm) {
    Node p = producer.node();
    Node node =
        new Node(
            Plan.unusedName(steps, p.name() + "Folded"), p.op().withBatchNormFolded().orElseThrow(),
            norm.node().activation(), p.sources(), p.inputs(), p.output(), p.origin());
    return new Step(
        node, producer.weightOffset(), norm.biasOffset(), norm.biasConstant(), -1,
        producer.constantPrefix(), producer.ins(), norm.out());
  }

  private static List<Plan.PoolFusion> poolFusions(List<Step> steps, int[] readers) {
    List<Plan.PoolFusion> fusions = new ArrayList<>();
    for (int i = 0; i + 1 < steps.size(); i++) {
      Node conv = steps.get(i).node();
      Node pool = steps.get(i + 1).node();
      boolean reluOrNone =
          conv.activation().isEmpty() || conv.activation().get().kind() == Activation.Kind.RELU;
      boolean evenOutput = conv.output().height() % 2 == 0 && conv.output().width() % 2 == 0;
      if (conv.op().takesPoolFusion(conv.input(), conv.output())
          && reluOrNone
          && evenOutput
          && readers[i] == 1
          && pool.sources().equals(List.of(i))
          && pool.activation().isEmpty()
          && pool.op().fusesIntoConvolution()) {
        fusions.add(new Plan.PoolFusion(i, i + 1));
      }
    }
    return fusions;
  }

  /** {@code c1} becomes {@code C1}, {@code convBlock2} becomes {@code CONV_BLOCK2}. */
  static String constantPrefix(String name) {
    String snake = name.replace(".", "_").replaceAll("([a-z0-9])([A-Z])", "$1_$2");
    return snake.toUpperCase(Locale.ROOT);
  }
}
