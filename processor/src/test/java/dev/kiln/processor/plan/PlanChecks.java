package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.plan.Plan.Location;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout invariants of inference and training plans, checked from the plans' data alone.
 *
 * <p>Each check first turns a plan into plain views (sources, locations, sizes in floats: a
 * node's {@code output().size()}) and then checks the views, so that the checks themselves can be
 * tested on hand-made broken layouts ({@code PlanChecksTest}).
 *
 * <p>A <em>value</em> is the output of a step that writes one; a step that passes its input on
 * (Flatten or Dropout without activation at inference, a step with {@code forward() == false} in
 * training) has its source's value. A value lives in the region its producer wrote, from then
 * until its last reader.
 */
final class PlanChecks {
  private PlanChecks() {}

  /** Half-open float interval {@code [offset, offset + size)}. */
  record Region(long offset, long size) {
    long end() {
      return offset + size;
    }

    boolean overlaps(Region other) {
      return size > 0 && other.size > 0 && offset < other.end() && other.offset < end();
    }

    @Override
    public String toString() {
      return "[" + offset + ", " + end() + ")";
    }
  }

  // ---- inference ----

  /**
   * One inference step as the check sees it.
   *
   * @param sources node indices it reads, {@link Node#NETWORK_INPUT} for the input
   * @param size floats of its output
   * @param passesOn whether it writes nothing (its output is its first input's value)
   * @param elementwise whether it may write its output over its first input
   */
  record StepView(
      String name,
      List<Integer> sources,
      List<Location> ins,
      Location out,
      long size,
      boolean passesOn,
      boolean elementwise) {}

  /** Flatten and Dropout without an activation change nothing at inference. */
  static boolean passesOnAtInference(Node node) {
    return (node.op() instanceof Op.Flatten || node.op() instanceof Op.Dropout)
        && node.activation().isEmpty();
  }

  /** Layers that compute each output value from the same position of their inputs alone. */
  static boolean elementwise(Node node) {
    Op op = node.op();
    return op instanceof Op.Activate || op instanceof Op.BatchNorm || op instanceof Op.Flatten
        || op instanceof Op.Dropout || op instanceof Op.Merge m && m.merge() == Op.MergeKind.ADD;
  }

  static List<StepView> views(Plan plan) {
    List<StepView> views = new ArrayList<>();
    for (Step step : plan.steps()) {
      Node node = step.node();
      views.add(
          new StepView(
              node.name(), node.sources(), step.ins(), step.out(), node.output().size(),
              passesOnAtInference(node), elementwise(node)));
    }
    return views;
  }

  /** The invariants of an inference plan: see {@link #checkInference(List, int, Location)}. */
  static void checkInference(Plan plan) {
    checkInference(views(plan), plan.workspaceSize(), plan.output());
  }

  /**
   * Checks that each step reads where its sources' values are, that no step writes the input,
   * that every written region lies in the workspace, and that no step's output overlaps a value
   * that it or a later step still reads (the network's output counts as read after the last
   * step) — except an elementwise step writing exactly over its first input's value where no
   * later step reads that value (in place).
   */
  static void checkInference(List<StepView> steps, int workspaceSize, Location output) {
    int n = steps.size();
    int[] value = new int[n]; // the step that wrote step i's output value, or NETWORK_INPUT
    for (int i = 0; i < n; i++) {
      StepView step = steps.get(i);
      List<Location> expected = new ArrayList<>();
      for (int source : step.sources()) {
        assertTrue(source < i, step.name() + " reads a later step");
        expected.add(location(steps, source == Node.NETWORK_INPUT ? source : value[source]));
      }
      assertEquals(expected, step.ins(), step.name() + " reads where its sources' values are");
      if (step.passesOn()) {
        int first = step.sources().get(0);
        value[i] = first == Node.NETWORK_INPUT ? first : value[first];
        assertEquals(step.ins().get(0), step.out(), step.name() + " passes its input on");
      } else {
        value[i] = i;
        assertFalse(step.out().isInput(), step.name() + " writes the caller's input");
        Region written = region(steps, i);
        assertTrue(
            written.offset() >= 0 && written.end() <= workspaceSize,
            step.name() + " writes " + written + " outside the workspace of " + workspaceSize);
      }
    }
    assertEquals(location(steps, value[n - 1]), output, "the plan's output is the last value");

    // lastRead[v]: the last step that reads value v; n for the network's output (the copy).
    int[] lastRead = new int[n];
    Arrays.fill(lastRead, -1);
    for (int j = 0; j < n; j++) {
      for (int source : steps.get(j).sources()) {
        if (source != Node.NETWORK_INPUT && value[source] != Node.NETWORK_INPUT) {
          lastRead[value[source]] = Math.max(lastRead[value[source]], j);
        }
      }
    }
    if (value[n - 1] != Node.NETWORK_INPUT) {
      lastRead[value[n - 1]] = n;
    }

    for (int i = 0; i < n; i++) {
      StepView step = steps.get(i);
      if (step.passesOn()) {
        continue;
      }
      Region written = region(steps, i);
      int firstSource = step.sources().get(0);
      int firstValue = firstSource == Node.NETWORK_INPUT ? firstSource : value[firstSource];
      for (int v = 0; v < i; v++) {
        if (value[v] != v || lastRead[v] < i) {
          continue; // not a value, or no longer read
        }
        Region live = region(steps, v);
        boolean inPlace =
            v == firstValue && lastRead[v] == i && step.elementwise()
                && step.out().equals(steps.get(v).out()) && step.size() == steps.get(v).size();
        if (!inPlace && written.overlaps(live)) {
          fail(step.name() + " writes " + written + " over " + steps.get(v).name() + "'s "
              + live + ", which step " + lastRead[v] + " still reads");
        }
      }
    }
  }

  private static Location location(List<StepView> steps, int value) {
    return value == Node.NETWORK_INPUT ? Location.INPUT : steps.get(value).out();
  }

  private static Region region(List<StepView> steps, int value) {
    return new Region(steps.get(value).out().offset(), steps.get(value).size());
  }

  // ---- training ----

  /** A gradient move after a backward step, as {@link TrainingPlan.Transfer} describes it. */
  record Move(boolean add, int from, int to, long size) {}

  /**
   * One training step as the check sees it.
   *
   * @param elementwise whether its backward may leave its input's gradient where its output's was
   */
  record TrainingView(
      String name,
      List<Integer> sources,
      long size,
      boolean elementwise,
      List<Location> ins,
      Location out,
      int maskOffset,
      boolean forward,
      boolean backward,
      int gradient,
      List<Integer> inputGradients,
      List<Move> moves) {}

  static List<TrainingView> views(TrainingPlan training) {
    List<TrainingView> views = new ArrayList<>();
    for (TrainingPlan.TrainingStep step : training.steps()) {
      Node node = step.step().node();
      List<Move> moves =
          step.transfers().stream()
              .map(t -> new Move(t.add(), t.from(), t.to(), t.size()))
              .toList();
      views.add(
          new TrainingView(
              node.name(), node.sources(), node.output().size(), elementwise(node), step.ins(),
              step.out(), step.maskOffset(), step.forward(), step.backward(), step.gradient(),
              step.inputGradients(), moves));
    }
    return views;
  }

  static void checkTraining(TrainingPlan training) {
    checkTraining(
        views(training), training.lossGradient(), training.workspaceSize(), training.output());
  }

  /**
   * Checks that every forward output and dropout mask has a region of its own (none overlaps
   * another: the backward pass reads them all), that gradients live above them, and that a
   * gradient region overlaps no other gradient region while both live. A node's output gradient
   * lives from its first writer (a reader's backward step, or the loss for the last node) to its
   * own backward step. The pairing of transfers with sources follows {@link TrainingPlan}: per
   * source in order, an add into a gradient that already lives, else a copy into a new region,
   * else (no transfer) the region is handed over.
   */
  static void checkTraining(
      List<TrainingView> steps, int lossGradient, int workspaceSize, Location output) {
    int n = steps.size();
    int[] value = new int[n];
    List<Region> forwardRegions = new ArrayList<>();
    List<String> forwardNames = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TrainingView step = steps.get(i);
      List<Location> expected = new ArrayList<>();
      for (int source : step.sources()) {
        expected.add(
            source == Node.NETWORK_INPUT || value[source] == Node.NETWORK_INPUT
                ? Location.INPUT
                : steps.get(value[source]).out());
      }
      assertEquals(expected, step.ins(), step.name() + " reads where its sources' values are");
      if (!step.forward()) {
        int first = step.sources().get(0);
        value[i] = first == Node.NETWORK_INPUT ? first : value[first];
        assertEquals(step.ins().get(0), step.out(), step.name() + " keeps its input's location");
        assertEquals(-1, step.maskOffset(), step.name() + " has no mask without a forward pass");
        continue;
      }
      value[i] = i;
      assertFalse(step.out().isInput(), step.name() + " writes the caller's input");
      forwardRegions.add(new Region(step.out().offset(), step.size()));
      forwardNames.add(step.name());
      if (step.maskOffset() >= 0) {
        forwardRegions.add(new Region(step.maskOffset(), step.size()));
        forwardNames.add(step.name() + "'s mask");
      }
    }
    assertEquals(
        value[n - 1] == Node.NETWORK_INPUT ? Location.INPUT : steps.get(value[n - 1]).out(),
        output, "the training plan's output is the last value");
    long forwardEnd = 0;
    for (int a = 0; a < forwardRegions.size(); a++) {
      forwardEnd = Math.max(forwardEnd, forwardRegions.get(a).end());
      assertTrue(forwardRegions.get(a).offset() >= 0, forwardNames.get(a) + " below 0");
      for (int b = a + 1; b < forwardRegions.size(); b++) {
        if (forwardRegions.get(a).overlaps(forwardRegions.get(b))) {
          fail(forwardNames.get(a) + " " + forwardRegions.get(a) + " overlaps "
              + forwardNames.get(b) + " " + forwardRegions.get(b));
        }
      }
    }

    Map<Integer, Region> live = new HashMap<>(); // node -> its output gradient, while it lives
    live.put(
        n - 1,
        gradientRegion(
            lossGradient, steps.get(n - 1).size(), forwardEnd, workspaceSize, "the loss gradient"));
    for (int i = n - 1; i >= 0; i--) {
      TrainingView step = steps.get(i);
      Region own = live.remove(i);
      if (own == null) {
        assertTrue(
            step.inputGradients().stream().allMatch(g -> g == -1),
            step.name() + " has no output gradient, so it gives its sources none");
        assertEquals(List.of(), step.moves(), step.name() + " moves no gradient");
        assertFalse(step.backward(), step.name() + " runs backward without a gradient");
        continue;
      }
      assertEquals(own.offset(), step.gradient(), step.name() + "'s gradient");
      assertEquals(step.sources().size(), step.inputGradients().size(), step.name());
      List<Region> written = new ArrayList<>(); // the regions its backward step writes
      Deque<Move> moves = new ArrayDeque<>(step.moves());
      for (int k = 0; k < step.sources().size(); k++) {
        int at = step.inputGradients().get(k);
        int s = step.sources().get(k);
        if (at < 0) {
          continue;
        }
        assertTrue(s != Node.NETWORK_INPUT, step.name() + " computes the input's gradient");
        long size = steps.get(s).size();
        Region region =
            gradientRegion(at, size, forwardEnd, workspaceSize, step.name() + " source " + k);
        if (at == own.offset()) {
          assertTrue(step.elementwise() && size == own.size(),
              step.name() + " leaves source " + k + "'s gradient over its own output's");
        } else {
          assertDisjoint(region, own, step.name() + " source " + k + " vs its output gradient");
          for (Region other : written) {
            assertDisjoint(region, other, step.name() + " source " + k + " vs another source");
          }
          assertDisjointFromLive(region, live, step.name() + " source " + k);
          written.add(region);
        }
        Move next = moves.peekFirst();
        if (live.containsKey(s)) {
          assertNotNull(next, step.name() + ": source " + k + " needs an add into its gradient");
          assertEquals(
              new Move(true, at, (int) live.get(s).offset(), size), moves.pollFirst(),
              step.name() + " adds source " + k + "'s gradient");
        } else if (next != null && !next.add() && next.from() == at) {
          moves.pollFirst();
          assertEquals(size, next.size(), step.name() + " copies source " + k);
          String what = step.name() + " copy of source " + k;
          Region copy = gradientRegion(next.to(), size, forwardEnd, workspaceSize, what);
          assertDisjoint(copy, own, what + " vs its output gradient");
          for (Region other : written) {
            assertDisjoint(copy, other, what);
          }
          assertDisjointFromLive(copy, live, what);
          live.put(s, copy);
        } else {
          live.put(s, region); // handed over
        }
      }
      assertEquals(List.of(), List.copyOf(moves), step.name() + ": transfers left unexplained");
      List<Map.Entry<Integer, Region>> entries = new ArrayList<>(live.entrySet());
      for (int a = 0; a < entries.size(); a++) {
        for (int b = a + 1; b < entries.size(); b++) {
          Region ra = entries.get(a).getValue();
          Region rb = entries.get(b).getValue();
          if (ra.overlaps(rb)) {
            fail("after " + step.name() + ": the gradients of "
                + steps.get(entries.get(a).getKey()).name() + " " + ra + " and "
                + steps.get(entries.get(b).getKey()).name() + " " + rb + " overlap");
          }
        }
      }
    }
  }

  private static Region gradientRegion(
      long offset, long size, long forwardEnd, int workspaceSize, String what) {
    Region region = new Region(offset, size);
    assertTrue(
        region.offset() >= forwardEnd && region.end() <= workspaceSize,
        what + " " + region + " is not between the forward outputs (" + forwardEnd
            + ") and the end of the workspace (" + workspaceSize + ")");
    return region;
  }

  private static void assertDisjoint(Region a, Region b, String what) {
    if (a.overlaps(b)) {
      fail(what + ": " + a + " overlaps " + b);
    }
  }

  private static void assertDisjointFromLive(
      Region region, Map<Integer, Region> live, String what) {
    for (Map.Entry<Integer, Region> entry : live.entrySet()) {
      if (region.overlaps(entry.getValue())) {
        fail(what + ": " + region + " overlaps the live gradient of node " + entry.getKey() + " "
            + entry.getValue());
      }
    }
  }
}
