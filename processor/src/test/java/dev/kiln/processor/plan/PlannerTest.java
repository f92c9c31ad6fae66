package dev.kiln.processor.plan;

import static dev.kiln.processor.plan.Nets.names;
import static dev.kiln.processor.plan.Nets.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.processor.plan.Plan.Location;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The inference plan: parameter offsets, workspace regions, constant prefixes, pool fusions and
 * folds, on networks from {@link Nets} (sizes in floats).
 */
class PlannerTest {
  static Location ws(int offset) {
    return Location.workspace(offset);
  }

  static final Location INPUT = Location.INPUT;

  /** Per step: its ins, then its out. */
  static List<String> flow(Plan plan) {
    List<String> flow = new ArrayList<>();
    for (Step step : plan.steps()) {
      flow.add(step.node().name() + " " + step.ins().stream().map(PlannerTest::show).toList()
          + " -> " + show(step.out()));
    }
    return flow;
  }

  static String show(Location location) {
    return location.isInput() ? "input" : String.valueOf(location.offset());
  }

  // ---- LeNet-5 ----

  @Test
  void lenet5ParametersAreWeightsThenBiasLayerByLayer() {
    Plan plan = plan(Nets.lenet5());
    assertEquals(
        List.of("c1", "s2", "c3", "s4", "c5.flatten", "c5", "f6", "output"), names(plan));
    List<String> offsets = new ArrayList<>();
    for (Step step : plan.steps()) {
      offsets.add(step.node().name() + " " + step.weightOffset() + "/" + step.biasOffset());
    }
    // c1: 5*5*1*6 = 150 weights at 0, 6 biases at 150; s2 has none (its weight offset is where
    // the next parameters go: 156); c3: 5*5*6*16 = 2400 at 156, 16 at 2556; s4 and the flatten:
    // 2572; c5: 400*120 = 48000 at 2572, 120 at 50572; f6: 120*84 = 10080 at 50692, 84 at
    // 60772; output: 84*10 = 840 at 60856, 10 at 61696; total 61706.
    assertEquals(
        List.of("c1 0/150", "s2 156/-1", "c3 156/2556", "s4 2572/-1", "c5.flatten 2572/-1",
            "c5 2572/50572", "f6 50692/60772", "output 60856/61696"),
        offsets);
    assertEquals(61_706, plan.parameterCount());
    assertEquals(0, plan.stateCount());
    assertTrue(plan.steps().stream().allMatch(s -> s.stateOffset() == -1));
  }

  @Test
  void lenet5ReusesTwoRegionsAtATimeAndNeverWritesTheInput() {
    Plan plan = plan(Nets.lenet5());
    // c1 -> [0, 4704); s2 -> [4704, 5880) (c1 still read); c1 freed, c3 (1600) -> 0; s2 freed,
    // [1600, 5880) free: s4 (400) -> 1600; c5.flatten passes 1600 on; c3 freed: c5 (120) -> 0,
    // f6 (84) -> 120, output (10) -> 0.
    assertEquals(
        List.of("c1 [input] -> 0", "s2 [0] -> 4704", "c3 [4704] -> 0", "s4 [0] -> 1600",
            "c5.flatten [1600] -> 1600", "c5 [1600] -> 0", "f6 [0] -> 120",
            "output [120] -> 0"),
        flow(plan));
    // The largest pair alive together: c1 and s2, 4704 + 1176.
    assertEquals(5880, plan.workspaceSize());
    assertEquals(ws(0), plan.output());
    assertTrue(plan.steps().stream().noneMatch(s -> s.out().isInput()));
    assertEquals(
        List.of("C1", "S2", "C3", "S4", "C5_FLATTEN", "C5", "F6", "OUTPUT"),
        plan.steps().stream().map(Step::constantPrefix).toList());
  }

  @Test
  void lenet5FusesItsPlanarConvolutionWithItsPool() {
    Plan plan = plan(Nets.lenet5());
    // c1 28x28 ReLU and c3 10x10 ReLU are each read only by a 2x2 stride 2 VALID max pool, but
    // only c1 (6 filters, unit stride) keeps its result in planes on the vector path; c3's 16
    // filters vectorize along the channels, straight into NHWC.
    assertEquals(List.of(new Plan.PoolFusion(0, 1)), plan.poolFusions());
    assertEquals(List.of(), plan.folds());
  }

  // ---- chains ----

  @Test
  void aChainOfEqualLayersAlternatesBetweenTwoRegions() {
    Plan plan = plan(Nets.sameConvChain());
    // 64 floats each: c1 -> 0, c2 -> 64, c1 freed, c3 -> 0 (exact fit), c4 -> 64.
    assertEquals(
        List.of("c1 [input] -> 0", "c2 [0] -> 64", "c3 [64] -> 0", "c4 [0] -> 64"), flow(plan));
    assertEquals(128, plan.workspaceSize(), "the largest pair: 64 + 64");
    assertEquals(ws(64), plan.output());
    // Each: 3*3*4*4 = 144 weights, 4 biases, 148 in all.
    assertEquals(
        List.of(0, 148, 296, 444), plan.steps().stream().map(Step::weightOffset).toList());
    assertEquals(
        List.of(144, 292, 440, 588), plan.steps().stream().map(Step::biasOffset).toList());
    assertEquals(592, plan.parameterCount());
    assertEquals(List.of(), plan.poolFusions());
  }

  @Test
  void aGrowingChainGetsFirstFitsWorkspaceNotTheLargestPair() {
    Plan plan = plan(Nets.growingChain());
    // c1 (128) -> 0; c2 (256) -> 128; c1 freed: [0, 128) is too small for c3 (512) and is not at
    // the end (c2 is), so c3 -> 384. Workspace 384 + 512 = 896, more than the largest pair,
    // 256 + 512 = 768: first fit, not an optimal layout (pinned so that a change shows).
    assertEquals(List.of("c1 [input] -> 0", "c2 [0] -> 128", "c3 [128] -> 384"), flow(plan));
    assertEquals(896, plan.workspaceSize());
  }

  @Test
  void flattenAndDropoutPassTheirInputOn() {
    Plan plan = plan(Nets.passThrough());
    // c (64) -> 0; drop and flat run no code and pass 0 on; out (10) -> 64, as [0, 64) is read.
    assertEquals(
        List.of("c [input] -> 0", "drop [0] -> 0", "flat [0] -> 0", "out [0] -> 64"),
        flow(plan));
    assertEquals(74, plan.workspaceSize());
  }

  @Test
  void layersOnTheInputNeverWriteIt() {
    Plan plan = plan(Nets.dropoutOnTheInput());
    // drop passes the input on; the ReLU cannot run in place on it: a region of its own (8).
    assertEquals(
        List.of("drop [input] -> input", "r [input] -> 0", "f [0] -> 0", "d [0] -> 8"),
        flow(plan));
    assertEquals(11, plan.workspaceSize());
    assertTrue(plan.steps().get(0).out().isInput());
    assertEquals(INPUT, plan.steps().get(0).out());
  }

  // ---- in place ----

  @Test
  void batchNormAndActivationsRunInPlaceOnTheirLastRead() {
    Plan plan = plan(Nets.twoFolds());
    // c1 (64) -> 0; bn1 in place; c2 (128) -> 64; bn2 in place; flatten passes it on; out (2) ->
    // 0, c1's region, free again.
    assertEquals(
        List.of("c1 [input] -> 0", "bn1 [0] -> 0", "c2 [0] -> 64", "bn2 [64] -> 64",
            "out.flatten [64] -> 64", "out [64] -> 0"),
        flow(plan));
    assertEquals(192, plan.workspaceSize());

    Plan reluAfterDense = plan(Nets.reluFieldLast());
    // 1x1x4 input: flatten passes the input on, d (2) -> 0, r in place.
    assertEquals(
        List.of("d.flatten [input] -> input", "d [input] -> 0", "r [0] -> 0"),
        flow(reluAfterDense));
    assertEquals(2, reluAfterDense.workspaceSize());
  }

  @Test
  void anInPlaceLayerWhoseInputIsStillReadGetsARegionOfItsOwn() {
    Plan plan = plan(Nets.noFolds());
    // a (64) -> 0; an in place; b -> 64, [0, 64) freed; bn reads b, which cat reads too: a new
    // region, first fit at 0; cat (128) -> 128.
    assertEquals(
        List.of("a [input] -> 0", "an [0] -> 0", "b [0] -> 64", "bn [64] -> 0",
            "cat [0, 64] -> 128"),
        flow(plan));
    assertEquals(256, plan.workspaceSize());

    Plan shared = plan(Nets.sharedRegions());
    // x (64) -> 0, read by r and sum: r -> 64; drop passes 64 on; sum reads 64 twice (drop, r)
    // and 0: nothing it reads is on its last read when it starts, so 128; t in place.
    assertEquals(
        List.of("x [input] -> 0", "r [0] -> 64", "drop [64] -> 64", "sum [64, 64, 0] -> 128",
            "t [128] -> 128"),
        flow(shared));
    assertEquals(192, shared.workspaceSize());
  }

  // ---- graphs ----

  @Test
  void aResidualShortcutKeepsItsRegionWhileTheOtherBranchRuns() {
    Plan plan = plan(Nets.residual());
    // c1 -> 0 (read by c2 and sum); c2 -> 64; c3 -> 128, [0, 64) still alive; c2 freed. sum
    // reads c3 last: in place at 128; c1's region freed after it. 3 * 64 = 192.
    assertEquals(
        List.of("c1 [input] -> 0", "c2 [0] -> 64", "c3 [64] -> 128", "sum [128, 0] -> 128"),
        flow(plan));
    assertEquals(192, plan.workspaceSize());
    assertEquals(ws(128), plan.output());

    Plan shortcutFirst = plan(Nets.residualShortcutFirst());
    // The same, but the Add's first input is c1's region, also on its last read: in place at 0.
    assertEquals(
        List.of("c1 [input] -> 0", "c2 [0] -> 64", "c3 [64] -> 128", "sum [0, 128] -> 0"),
        flow(shortcutFirst));
    assertEquals(192, shortcutFirst.workspaceSize());
    assertEquals(ws(0), shortcutFirst.output());
  }

  @Test
  void aConcatReadsBothBranchesIntoANewRegion() {
    Plan plan = plan(Nets.concat2());
    // left (64) -> 0, right (32) -> 64, cat (96) -> 96 while both are read; then both freed.
    assertEquals(
        List.of("left [input] -> 0", "right [input] -> 64", "cat [0, 64] -> 96"), flow(plan));
    assertEquals(192, plan.workspaceSize());
    // left 1*1*2*4 + 4 = 12, right 3*3*2*2 + 2 = 38.
    assertEquals(List.of(0, 12, 50), plan.steps().stream().map(Step::weightOffset).toList());
    assertEquals(List.of(8, 48, -1), plan.steps().stream().map(Step::biasOffset).toList());
    assertEquals(50, plan.parameterCount());
  }

  @Test
  void anOutputNoOneReadsIsFreedAtOnce() {
    Plan plan = plan(Nets.deadBranch());
    // a (64) -> 0; dead (128) -> 64 and, unread, freed at once; b (64) -> 64, inside dead's old
    // region (without the release it would get 192). a, dead: 64 + 128 = 192.
    assertEquals(
        List.of("a [input] -> 0", "dead [0] -> 64", "b [0] -> 64"), flow(plan));
    assertEquals(192, plan.workspaceSize());
    assertEquals(ws(64), plan.output());
  }

  // ---- constant prefixes ----

  @Test
  void constantPrefixesAreUpperSnakeCaseAndUnique() {
    Plan plan = plan(Nets.collidingPrefixes());
    // convBlock2 -> CONV_BLOCK2; conv_block2 and CONV_BLOCK2 make the same and get _2, _3;
    // c5's implicit flatten "c5.flatten" -> C5_FLATTEN, taken by the field c5_flatten: _2.
    assertEquals(
        List.of("convBlock2", "conv_block2", "CONV_BLOCK2", "c5_flatten", "c5.flatten", "c5"),
        names(plan));
    assertEquals(
        List.of("CONV_BLOCK2", "CONV_BLOCK2_2", "CONV_BLOCK2_3", "C5_FLATTEN", "C5_FLATTEN_2",
            "C5"),
        plan.steps().stream().map(Step::constantPrefix).toList());
  }

  // ---- pool fusions ----

  @Test
  void aConvolutionWithoutActivationFusesWithItsPool() {
    Plan plan = plan(Nets.fusedWithoutActivation());
    assertEquals(List.of(new Plan.PoolFusion(0, 1)), plan.poolFusions());
  }

  @Test
  void noPoolFusionForAnOddOutputAStrideOnePoolAnActivatedPoolOrAConvolutionReadTwice() {
    // c is 5x5x2: odd.
    assertEquals(List.of(), plan(Nets.oddConvOutput()).poolFusions());
    // A 2x2 max pool of stride 1.
    assertEquals(List.of(), plan(Nets.strideOnePool()).poolFusions());
    // A ReLU on the pool.
    assertEquals(List.of(), plan(Nets.activatedPool()).poolFusions());
    // c is read by the pool and by d.
    Plan readTwice = plan(Nets.convReadTwice());
    assertEquals(List.of("c", "p", "d", "sum"), names(readTwice));
    assertEquals(List.of(), readTwice.poolFusions());
    // Tanh on c1; an average pool after c2.
    assertEquals(List.of(), plan(Nets.tanhConvAndAveragePool()).poolFusions());
  }

  // ---- folds ----

  @Test
  void batchNormsAfterAConvolutionWithoutActivationReadOnceAreFolded() {
    Plan plan = plan(Nets.twoFolds());
    assertEquals(List.of("0<-1", "2<-3"), folds(plan));
    // The folded step: c1 with a bias (bn1's beta slot), bn1's activation and output.
    Step folded = plan.folds().get(0).folded();
    assertEquals("c1Folded", folded.node().name());
    assertEquals(plan.steps().get(1).biasOffset(), folded.biasOffset());
    assertEquals(plan.steps().get(1).out(), folded.out());
    assertEquals(plan.steps().get(0).weightOffset(), folded.weightOffset());
    // c1: 3*3*2*4 = 72 weights at 0, 4 at 72; bn1: gamma 4 at 76, beta 4 at 80; c2: 3*3*4*8 =
    // 288 at 84, 8 at 372; bn2: gamma 8 at 380, beta 8 at 388; out: 128*2 = 256 at 396, 2 at
    // 652; total 654.
    List<String> offsets = new ArrayList<>();
    for (Step step : plan.steps()) {
      offsets.add(step.node().name() + " " + step.weightOffset() + "/" + step.biasOffset() + "/"
          + step.stateOffset());
    }
    // State: each BatchNorm's moving mean and variance, 2 per channel: bn1 8 at 0, bn2 16 at 8.
    assertEquals(
        List.of("c1 0/72/-1", "bn1 76/80/0", "c2 84/372/-1", "bn2 380/388/8",
            "out.flatten 396/-1/-1", "out 396/652/-1"),
        offsets);
    assertEquals(654, plan.parameterCount());
    assertEquals(24, plan.stateCount());
  }

  @Test
  void noFoldAfterAnActivationOrForAConvolutionReadTwice() {
    // an follows a ReLU convolution; bn follows b, which the Concat reads too.
    assertEquals(List.of(), plan(Nets.noFolds()).folds());
  }

  @Test
  void aBatchNormOnTheInputIsNotFoldedOneAfterADenseIs() {
    Plan plan = plan(Nets.batchNormOnTheInputAndAfterDense());
    assertEquals(List.of("bn0", "d.flatten", "d", "bn1"), names(plan));
    // bn0 reads the input: a region of its own (4) at 0; the flatten passes it on; d (3) -> 4; bn1
    // in place.
    assertEquals(
        List.of("bn0 [input] -> 0", "d.flatten [0] -> 0", "d [0] -> 4", "bn1 [4] -> 4"),
        flow(plan));
    assertEquals(List.of("2<-3"), folds(plan));
    // bn0: 4 mean + 4 variance at 0; bn1: 3 + 3 at 8.
    assertEquals(
        List.of(0, -1, -1, 8), plan.steps().stream().map(Step::stateOffset).toList());
    assertEquals(14, plan.stateCount());
    assertFalse(plan.steps().get(0).out().isInput());
  }

  /** Each fold as {@code producer<-norm}. */
  private static List<String> folds(Plan plan) {
    return plan.folds().stream().map(f -> f.producer() + "<-" + f.norm()).toList();
  }
}
