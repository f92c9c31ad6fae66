package dev.kiln.processor.plan;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Node;
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
    Optional<Activation> last = steps.get(n - 1).node().activationFunction();
    String loss = "MEAN_SQUARED_ERROR";
    if (last.isPresent() && last.get().kind() == Activation.Kind.SOFTMAX) {
      loss = "SOFTMAX_CROSS_ENTROPY";
    } else if (last.isPresent() && last.get().kind() == Activation.Kind.SIGMOID) {
      loss = "SIGMOID_CROSS_ENTROPY";
    }
    boolean lossActivation = !loss.equals("MEAN_SQUARED_ERROR");

    // Forward: every layer that computes something keeps its output.
    long offset = 0;
    List<List<Plan.Location>> ins = new ArrayList<>();
    Plan.Location[] outs = new Plan.Location[n];
    int[] masks = new int[n];
    boolean[] forward = new boolean[n];
    for (int i = 0; i < n; i++) {
      Node node = steps.get(i).node();
      List<Plan.Location> read = new ArrayList<>();
      for (int source : node.sources()) {
        read.add(source == Node.NETWORK_INPUT ? Plan.Location.INPUT : outs[source]);
      }
      ins.add(read);
      masks[i] = -1;
      forward[i] = runsForward(node, lossActivation && i == n - 1);
      if (forward[i]) {
        outs[i] = Plan.Location.workspace(Math.toIntExact(offset));
        offset += node.output().size();
        long mask = node.op().trainingMaskSize(node.output());
        if (mask > 0) {
          masks[i] = Math.toIntExact(offset);
          offset += mask;
        }
      } else {
        outs[i] = read.get(0);
      }
    }

    // Which layers need the gradient of their output: those with parameters at or before them.
    boolean[] needs = new boolean[n];
    for (int i = 0; i < n; i++) {
      Node node = steps.get(i).node();
      needs[i] = node.parameterCount() > 0
          || node.sources().stream().anyMatch(s -> s != Node.NETWORK_INPUT && needs[s]);
    }

    // Backward, last layer first: each output gradient lives from its first writer to its layer.
    Regions regions = new Regions(Math.toIntExact(offset));
    int[] gradientAt = new int[n];
    Arrays.fill(gradientAt, -1);
    gradientAt[n - 1] = regions.allocate(steps.get(n - 1).node().output().size());
    int lossGradient = gradientAt[n - 1];
    TrainingPlan.TrainingStep[] result = new TrainingPlan.TrainingStep[n];
    int[] statistics = new int[n];
    int statisticsSize = 0;
    for (int i = 0; i < n; i++) {
      Node node = steps.get(i).node();
      // Batch statistics go with the moving ones: mean, 1 / sigma, sum dy, sum dy xhat.
      boolean normalizes = node.stateCount() > 0;
      statistics[i] = normalizes ? statisticsSize : -1;
      statisticsSize += normalizes ? 4 * node.output().channels() : 0;
    }
    for (int i = n - 1; i >= 0; i--) {
      Node node = steps.get(i).node();
      boolean leftToLoss = lossActivation && i == n - 1;
      List<Integer> sources = node.sources();
      boolean live = gradientAt[i] >= 0;
      boolean anyNeeds = sources.stream().anyMatch(s -> s != Node.NETWORK_INPUT && needs[s]);
      boolean backward =
          live && (node.parameterCount() > 0 || anyNeeds) && runsBackward(node, leftToLoss);
      List<Integer> inputGradients = new ArrayList<>();
      List<TrainingPlan.Transfer> transfers = new ArrayList<>();
      List<long[]> released = new ArrayList<>();
      boolean handedOver = false;
      int lastNeeding = -1;
      for (int k = 0; k < sources.size(); k++) {
        if (sources.get(k) != Node.NETWORK_INPUT && needs[sources.get(k)]) {
          lastNeeding = k;
        }
      }
      for (int k = 0; k < sources.size(); k++) {
        int s = sources.get(k);
        if (!live || s == Node.NETWORK_INPUT || !needs[s]) {
          inputGradients.add(-1);
          continue;
        }
        long size = steps.get(s).node().output().size();
        // Layers that change the shape write a fresh region; the others leave the gradient of
        // their input where that of their output was (an Add hands the same gradient to each).
        boolean fresh = !node.op().inPlace();
        int at = fresh ? regions.allocate(size) : gradientAt[i];
        inputGradients.add(at);
        if (gradientAt[s] >= 0) {
          transfers.add(new TrainingPlan.Transfer(true, at, gradientAt[s], size, k));
          if (fresh) {
            released.add(new long[] {at, size});
          }
        } else if (fresh || (k == lastNeeding && !handedOver)) {
          gradientAt[s] = at; // handed over: the source's gradient starts here
          handedOver |= !fresh;
        } else {
          gradientAt[s] = regions.allocate(size);
          transfers.add(new TrainingPlan.Transfer(false, at, gradientAt[s], size, k));
        }
      }
      if (live && !handedOver) {
        released.add(new long[] {gradientAt[i], node.output().size()});
      }
      for (long[] region : released) {
        regions.release((int) region[0], region[1]);
      }
      Step step = steps.get(i);
      result[i] =
          new TrainingPlan.TrainingStep(
              step, ins.get(i), outs[i], masks[i], forward[i], leftToLoss, backward,
              Math.max(gradientAt[i], 0), inputGradients, transfers, statistics[i]);
    }
    int workspace = regions.peak();
    boolean tiles =
        steps.stream().anyMatch(s -> s.node().trainsOverTiles());
    int tile = plan.batchStatistics() ? 1 : Planner.tile(tiles, Math.max(1, workspace));
    return new TrainingPlan(
        plan, loss, Arrays.asList(result), lossGradient, statisticsSize, workspace,
        outs[n - 1], tile);
  }

  /** Whether it runs code in training's forward pass; {@code leftToLoss}: its activation is the loss's. */
  private static boolean runsForward(Node node, boolean leftToLoss) {
    return !node.op().identityInTraining()
        || node.activationFunction().isPresent() && !leftToLoss;
  }

  /** Whether it runs code in the backward pass (an Add without activation hands its gradient on). */
  private static boolean runsBackward(Node node, boolean leftToLoss) {
    return !node.op().identityGradient()
        || node.activationFunction().isPresent() && !leftToLoss;
  }
}
