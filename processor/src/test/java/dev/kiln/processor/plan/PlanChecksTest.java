package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan.Location;
import dev.kiln.processor.plan.PlanChecks.Move;
import dev.kiln.processor.plan.PlanChecks.StepView;
import dev.kiln.processor.plan.PlanChecks.TrainingView;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The property checks catch what they are for, on hand-made layouts (64 floats a layer). */
class PlanChecksTest {
  static final int IN = Node.NETWORK_INPUT;

  static Location ws(int offset) {
    return Location.workspace(offset);
  }

  static StepView conv(String name, int source, Location in, Location out) {
    return new StepView(name, List.of(source), List.of(in), out, 64, false, false);
  }

  static StepView relu(String name, int source, Location in, Location out) {
    return new StepView(name, List.of(source), List.of(in), out, 64, false, true);
  }

  @Test
  void aSoundInferenceLayoutPasses() {
    // a -> 0, b -> 64, r in place over b, c -> 0.
    PlanChecks.checkInference(
        List.of(
            conv("a", IN, Location.INPUT, ws(0)),
            conv("b", 0, ws(0), ws(64)),
            relu("r", 1, ws(64), ws(64)),
            conv("c", 2, ws(64), ws(0))),
        128, ws(0));
  }

  @Test
  void catchesAnOutputOverItsOwnInputThatIsNotInPlace() {
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkInference(
            List.of(conv("a", IN, Location.INPUT, ws(0)), conv("b", 0, ws(0), ws(32))),
            96, ws(32)));
  }

  @Test
  void catchesAnInPlaceStepOverAValueReadLater() {
    // r runs in place over a, which c reads after it.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkInference(
            List.of(
                conv("a", IN, Location.INPUT, ws(0)),
                relu("r", 0, ws(0), ws(0)),
                new StepView("c", List.of(1, 0), List.of(ws(0), ws(0)), ws(64), 64, false, false)),
            128, ws(64)));
  }

  @Test
  void catchesAWriteOverTheNetworksOutputOrTheInputOrPastTheWorkspace() {
    // a writes the caller's input; a's output does not fit the workspace.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkInference(
            List.of(conv("a", IN, Location.INPUT, Location.INPUT)), 64, Location.INPUT));
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkInference(
            List.of(conv("a", IN, Location.INPUT, ws(0))), 63, ws(0)));
    // b reads where a's value is not.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkInference(
            List.of(conv("a", IN, Location.INPUT, ws(0)), conv("b", 0, ws(64), ws(128))),
            192, ws(128)));
  }

  static TrainingView layer(
      String name, int source, Location in, Location out, int gradient, int inputGradient,
      List<Move> moves) {
    return new TrainingView(
        name, List.of(source), 64, false, List.of(in), out, -1, true, true, gradient,
        List.of(inputGradient), moves);
  }

  @Test
  void aSoundTrainingLayoutPasses() {
    // Forward a 0, b 64; loss gradient (b's) at 128, a's at 192.
    PlanChecks.checkTraining(
        List.of(
            layer("a", IN, Location.INPUT, ws(0), 192, -1, List.of()),
            layer("b", 0, ws(0), ws(64), 128, 192, List.of())),
        128, 256, ws(64));
  }

  @Test
  void catchesOverlappingForwardOutputs() {
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkTraining(
            List.of(
                layer("a", IN, Location.INPUT, ws(0), 192, -1, List.of()),
                layer("b", 0, ws(0), ws(32), 128, 192, List.of())),
            128, 256, ws(32)));
  }

  @Test
  void catchesAGradientOverAForwardOutputOrALiveGradient() {
    // a's gradient over b's output.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkTraining(
            List.of(
                layer("a", IN, Location.INPUT, ws(0), 64, -1, List.of()),
                layer("b", 0, ws(0), ws(64), 128, 64, List.of())),
            128, 256, ws(64)));
    // b's input gradient written over its own output gradient (b is not elementwise).
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkTraining(
            List.of(
                layer("a", IN, Location.INPUT, ws(0), 128, -1, List.of()),
                layer("b", 0, ws(0), ws(64), 128, 128, List.of())),
            128, 192, ws(64)));
    // a and c read the input, b reads a, d reads b and c. d gives b a gradient at 320 and c one
    // at 384; b's backward then writes a's at 384, over c's, whose backward has not run yet.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkTraining(
            List.of(
                layer("a", IN, Location.INPUT, ws(0), 384, -1, List.of()),
                layer("c", IN, Location.INPUT, ws(64), 384, -1, List.of()),
                layer("b", 0, ws(0), ws(128), 320, 384, List.of()),
                new TrainingView(
                    "d", List.of(2, 1), 64, false, List.of(ws(128), ws(64)), ws(192), -1, true,
                    true, 256, List.of(320, 384), List.of())),
            256, 448, ws(192)));
  }

  @Test
  void catchesATransferThatDoesNotMatchTheSources() {
    // a is read twice (b, c); c -> a's gradient at 192 handed over; b's input gradient at 256
    // must be added into 192, but the plan copies it instead.
    assertThrows(
        AssertionFailedError.class,
        () -> PlanChecks.checkTraining(
            List.of(
                layer("a", IN, Location.INPUT, ws(0), 192, -1, List.of()),
                layer("b", 0, ws(0), ws(64), 320, 256, List.of(new Move(false, 256, 192, 64))),
                new TrainingView(
                    "c", List.of(1, 0), 64, false, List.of(ws(64), ws(0)), ws(128), -1, true,
                    true, 384, List.of(320, 192), List.of())),
            384, 448, ws(128)));
  }
}
