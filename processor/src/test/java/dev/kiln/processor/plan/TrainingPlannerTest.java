package dev.kiln.processor.plan;

import static dev.kiln.processor.plan.Nets.training;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.processor.plan.Plan.Location;
import dev.kiln.processor.plan.TrainingPlan.Transfer;
import dev.kiln.processor.plan.TrainingPlan.TrainingStep;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training plan: the loss, forward storage, dropout masks, gradient regions and their
 * transfers, BatchNorm statistics, on networks from {@link Nets} (sizes in floats).
 */
class TrainingPlannerTest {
  static Location ws(int offset) {
    return Location.workspace(offset);
  }

  static TrainingStep step(TrainingPlan training, String name) {
    return training.steps().stream()
        .filter(s -> s.step().node().name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  /** Per step: forward out (or "-" without a forward pass), gradient, input gradients. */
  static List<String> layout(TrainingPlan training) {
    List<String> layout = new ArrayList<>();
    for (TrainingStep s : training.steps()) {
      String out = s.out().isInput() ? "input" : String.valueOf(s.out().offset());
      layout.add(s.step().node().name() + " " + (s.forward() ? out : "-(" + out + ")")
          + " g" + (s.backward() ? "" : "~") + s.gradient() + " " + s.inputGradients());
    }
    return layout;
  }

  // ---- the loss ----

  @Test
  void softmaxOnTheLastLayerIsLeftToTheCrossEntropy() {
    TrainingPlan lenet = training(Nets.lenet5());
    assertEquals("SOFTMAX_CROSS_ENTROPY", lenet.loss());
    TrainingStep output = step(lenet, "output");
    assertTrue(output.lossActivation(), "the loss computes the softmax from the logits");
    assertTrue(output.forward(), "the Dense itself still runs");
    assertTrue(
        lenet.steps().subList(0, 7).stream().noneMatch(TrainingStep::lossActivation),
        "only the last layer's activation is the loss's");

    // Softmax on a field of its own: it runs neither way; its input is the logits, where the
    // loss gradient goes straight to the Dense.
    TrainingPlan field = training(Nets.softmaxField());
    assertEquals("SOFTMAX_CROSS_ENTROPY", field.loss());
    TrainingStep sm = step(field, "sm");
    TrainingStep d = step(field, "d");
    assertTrue(sm.lossActivation());
    assertFalse(sm.forward());
    assertFalse(sm.backward());
    assertEquals(d.out(), sm.out());
    assertEquals(d.out(), field.output(), "the output is the logits");
    assertEquals(field.lossGradient(), d.gradient(), "the loss gradient is handed on as is");
    // Forward: the flatten keeps the input's location, d (3) -> 0. Gradient: d's 3 at 3.
    assertEquals(ws(0), d.out());
    assertEquals(3, field.lossGradient());
    assertEquals(List.of(3), sm.inputGradients());
    assertEquals(List.of(-1), d.inputGradients(), "the flatten of the input needs none");
    assertEquals(6, field.workspaceSize());
  }

  @Test
  void sigmoidOnTheLastLayerIsLeftToTheSigmoidCrossEntropy() {
    TrainingPlan training = training(Nets.sigmoidFused());
    assertEquals("SIGMOID_CROSS_ENTROPY", training.loss());
    assertTrue(step(training, "d").lossActivation());
    assertTrue(step(training, "d").forward());

    TrainingPlan later = training(Nets.parametersLater());
    assertEquals("SIGMOID_CROSS_ENTROPY", later.loss());
    assertTrue(step(later, "o").lossActivation());
  }

  @Test
  void otherwiseTheMeanSquaredError() {
    for (TrainingPlan training :
        List.of(
            training(Nets.tanhLast()), training(Nets.reluFieldLast()),
            training(Nets.sameConvChain()), training(Nets.residual()))) {
      assertEquals("MEAN_SQUARED_ERROR", training.loss());
      assertTrue(training.steps().stream().noneMatch(TrainingStep::lossActivation));
      assertTrue(training.steps().get(training.steps().size() - 1).forward());
    }
  }

  // ---- forward storage ----

  @Test
  void lenet5KeepsEveryOutputApartAndItsGradientsAbove() {
    TrainingPlan training = training(Nets.lenet5());
    // Forward, one region per layer that runs: c1 0 (4704), s2 4704 (1176), c3 5880 (1600), s4
    // 7480 (400), the flatten keeps s4's, c5 7880 (120), f6 8000 (84), output 8084 (10): 8094.
    // Backward from 8094, first fit with the sizes growing layer by layer:
    // loss 10 -> 8094; output's source f6 (84) -> 8104, loss freed ([8094, 8104) free);
    // f6 -> c5 (120) at 8188, [8094, 8188) free; c5 -> flatten (400) at 8308, [8094, 8308) free;
    // the flatten hands 8308 to s4; s4 -> c3 (1600) at 8708, [8094, 8708) free; c3 -> s2 (1176)
    // at 10308, [8094, 10308) free; s2 -> c1 (4704) at 11484, whose end is 16188; c1 needs no
    // input gradient.
    assertEquals(
        List.of("c1 0 g11484 [-1]", "s2 4704 g10308 [11484]", "c3 5880 g8708 [10308]",
            "s4 7480 g8308 [8708]", "c5.flatten -(7480) g~8308 [8308]", "c5 7880 g8188 [8308]",
            "f6 8000 g8104 [8188]", "output 8084 g8094 [8104]"),
        layout(training));
    assertEquals(8094, training.lossGradient());
    assertEquals(16188, training.workspaceSize());
    assertEquals(ws(8084), training.output());
    assertEquals(0, training.statisticsSize());
    assertTrue(training.steps().stream().allMatch(s -> s.maskOffset() == -1));
    assertTrue(training.steps().stream().allMatch(s -> s.transfers().isEmpty()));
    assertTrue(training.steps().stream().allMatch(s -> s.statisticsOffset() == -1));
  }

  @Test
  void dropoutKeepsItsMaskAfterItsOutput() {
    TrainingPlan training = training(Nets.passThrough());
    // Forward: c 0 (64); drop 64 (64), its mask 128 (64); flat keeps drop's 64; out 192 (10):
    // 202. Backward: loss (10) at 202; out -> flat (64) at 212; flat and drop hand 212 on.
    assertEquals(
        List.of("c 0 g212 [-1]", "drop 64 g212 [212]", "flat -(64) g~212 [212]",
            "out 192 g202 [212]"),
        layout(training));
    assertEquals(128, step(training, "drop").maskOffset());
    assertEquals(
        List.of(-1, 128, -1, -1), training.steps().stream().map(TrainingStep::maskOffset).toList());
    assertEquals(276, training.workspaceSize(), "212 + 64");

    TrainingPlan onTheInput = training(Nets.dropoutOnTheInput());
    // The dropout on the input writes a copy: 0 (8), mask 8 (8); r 16 (8); f keeps 16; d 24 (3).
    TrainingStep drop = step(onTheInput, "drop");
    assertEquals(ws(0), drop.out());
    assertEquals(8, drop.maskOffset());
    assertEquals(ws(16), step(onTheInput, "r").out());
    assertEquals(ws(16), step(onTheInput, "f").out());
    assertEquals(ws(24), step(onTheInput, "d").out());
    assertEquals(27, onTheInput.lossGradient());
    assertEquals(30, onTheInput.workspaceSize());
  }

  // ---- gradients ----

  @Test
  void aChainsGradientsAlternateBetweenTwoRegions() {
    TrainingPlan training = training(Nets.sameConvChain());
    // Forward 4 * 64 = 256. Loss gradient (c4's) at 256; c4 -> c3's at 320, 256 freed; c3 ->
    // c2's at 256; c2 -> c1's at 320; c1 needs none. 256 + 2 * 64 = 384.
    assertEquals(
        List.of("c1 0 g320 [-1]", "c2 64 g256 [320]", "c3 128 g320 [256]", "c4 192 g256 [320]"),
        layout(training));
    assertEquals(256, training.lossGradient());
    assertEquals(384, training.workspaceSize());
  }

  @Test
  void layersBeforeAnyParameterComputeNoInputGradient() {
    TrainingPlan training = training(Nets.parametersLater());
    // Forward: p 0 (32), r 32 (32), c 64 (64), o.flatten keeps 64, o 128 (3): 131. Backward:
    // loss (3) at 131; o -> flatten (64) at 134, handed to c; c has parameters but nothing before
    // it does: no input gradient; r and p get no gradient at all.
    assertEquals(
        List.of("p 0 g~0 [-1]", "r 32 g~0 [-1]", "c 64 g134 [-1]", "o.flatten -(64) g~134 [134]",
            "o 128 g131 [134]"),
        layout(training));
    assertEquals(198, training.workspaceSize(), "134 + 64");
    // LeNet's first layer reads the input: no input gradient either.
    assertEquals(List.of(-1), training(Nets.lenet5()).steps().get(0).inputGradients());
  }

  @Test
  void anAddHandsItsGradientOverAndATwiceReadNodeAddsIntoIt() {
    TrainingPlan training = training(Nets.residual());
    // Forward: c1 0, c2 64, c3 128, sum 192 (64 each): 256. Loss gradient (sum's) at 256.
    // sum (sources c3, c1): c3 is not its last source, so c3's gradient is a copy at 320; c1, the
    // last, gets 256 itself (handed over). c3 -> c2's at 384, 320 freed. c2 -> c1's input
    // gradient at 320 (first fit), added into c1's 256, then freed. 256 + 3 * 64 = 448.
    TrainingStep sum = step(training, "sum");
    assertEquals(List.of(256, 256), sum.inputGradients());
    assertEquals(List.of(new Transfer(false, 256, 320, 64, 0)), sum.transfers());
    assertTrue(sum.backward(), "its ReLU");
    TrainingStep c2 = step(training, "c2");
    assertEquals(384, c2.gradient());
    assertEquals(List.of(320), c2.inputGradients());
    assertEquals(List.of(new Transfer(true, 320, 256, 64, 0)), c2.transfers());
    Transfer add = c2.transfers().get(0);
    assertTrue(add.add());
    assertEquals(320, add.from());
    assertEquals(256, add.to());
    assertEquals(64, add.size());
    assertEquals(320, step(training, "c3").gradient());
    assertEquals(256, step(training, "c1").gradient(), "the Add's own region");
    assertEquals(448, training.workspaceSize());
  }

  @Test
  void elementwiseLayersAddIntoTheGradientOfANodeReadSeveralTimes() {
    TrainingPlan training = training(Nets.sharedRegions());
    // Forward: x 0, r 64, drop 128 (mask 192), sum 256, t 320 (64 each): 384. t's gradient at
    // 384 goes to sum as is. sum (drop, r, x) without activation runs no backward code: drop's
    // gradient is a copy at 448, r's a copy at 512, x takes 384. drop's backward works in 448
    // and adds it into r's 512; r's in 512, added into x's 384. 512 + 64 = 576.
    TrainingStep sum = step(training, "sum");
    assertFalse(sum.backward());
    assertEquals(List.of(384, 384, 384), sum.inputGradients());
    assertEquals(
        List.of(new Transfer(false, 384, 448, 64, 0), new Transfer(false, 384, 512, 64, 1)),
        sum.transfers());
    assertEquals(List.of(new Transfer(true, 448, 512, 64, 0)), step(training, "drop").transfers());
    assertEquals(List.of(new Transfer(true, 512, 384, 64, 0)), step(training, "r").transfers());
    assertEquals(384, step(training, "x").gradient());
    assertEquals(576, training.workspaceSize());

    TrainingPlan noFolds = training(Nets.noFolds());
    // Forward: a 0, an 64, b 128, bn 192 (64 each), cat 256 (128): 384. cat's gradient at 384;
    // its sources get fresh regions, bn 512 and b 576; bn works in 512 and adds it into b's.
    TrainingStep bn = step(noFolds, "bn");
    assertEquals(512, bn.gradient());
    assertEquals(List.of(512), bn.inputGradients());
    assertEquals(List.of(new Transfer(true, 512, 576, 64, 0)), bn.transfers());
    assertEquals(List.of(512, 576), step(noFolds, "cat").inputGradients());
    assertEquals(640, noFolds.workspaceSize());
  }

  @Test
  void aConcatGivesEachSourceARegionOfItsOwn() {
    TrainingPlan training = training(Nets.concat2());
    // Forward: left 0 (64), right 64 (32), cat 96 (96): 192. cat's gradient at 192; left's at
    // 288, right's at 352; 352 + 32 = 384.
    assertEquals(
        List.of("left 0 g288 [-1]", "right 64 g352 [-1]", "cat 96 g192 [288, 352]"),
        layout(training));
    assertEquals(List.of(), step(training, "cat").transfers());
    assertEquals(384, training.workspaceSize());
  }

  @Test
  void aDeadBranchGetsNoGradient() {
    TrainingPlan training = training(Nets.deadBranch());
    // Forward: a 0 (64), dead 64 (128), b 192 (64): 256. b's gradient at 256, a's at 320.
    assertEquals(
        List.of("a 0 g320 [-1]", "dead 64 g~0 [-1]", "b 192 g256 [320]"), layout(training));
    assertEquals(384, training.workspaceSize());
  }

  // ---- BatchNorm ----

  @Test
  void eachBatchNormKeepsFourStatisticsPerChannel() {
    TrainingPlan training = training(Nets.twoFolds());
    // bn1: 4 channels, 16 floats at 0; bn2: 8 channels, 32 at 16.
    assertEquals(
        List.of(-1, 0, -1, 16, -1, -1),
        training.steps().stream().map(TrainingStep::statisticsOffset).toList());
    assertEquals(48, training.statisticsSize());
    // Forward: c1 0 (64), bn1 64, c2 128 (128), bn2 256, flatten keeps 256, out 384 (2): 386.
    // Loss at 386; out -> flatten (128) at 388, handed to bn2, then c2; c2 -> bn1 (64) at 516;
    // handed to c1. 516 + 64 = 580.
    assertEquals(
        List.of("c1 0 g516 [-1]", "bn1 64 g516 [516]", "c2 128 g388 [516]", "bn2 256 g388 [388]",
            "out.flatten -(256) g~388 [388]", "out 384 g386 [388]"),
        layout(training));
    assertEquals(580, training.workspaceSize());

    TrainingPlan other = training(Nets.batchNormOnTheInputAndAfterDense());
    // bn0: 4 channels at 0, bn1: 3 channels at 16.
    assertEquals(
        List.of(0, -1, -1, 16),
        other.steps().stream().map(TrainingStep::statisticsOffset).toList());
    assertEquals(28, other.statisticsSize());
  }
}
