package dev.kiln.processor.plan;

import dev.kiln.processor.model.NetworkDeclaration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.AssertionFailedError;

/**
 * No two live regions overlap, in the inference and the training plan of every network the plan
 * tests build ({@link Nets#catalog()}); see {@link PlanChecks} for what exactly is checked.
 */
class PlanPropertiesTest {
  static Stream<Arguments> networks() {
    return Nets.catalog().entrySet().stream()
        .map(e -> Arguments.of(Named.of(e.getKey(), e.getValue())));
  }

  @ParameterizedTest
  @MethodSource("networks")
  void inferenceWritesNoRegionThatIsStillRead(Supplier<NetworkDeclaration> network) {
    PlanChecks.checkInference(Nets.plan(network.get()));
  }

  @ParameterizedTest
  @MethodSource("networks")
  void trainingKeepsOutputsApartAndLiveGradientsDisjoint(Supplier<NetworkDeclaration> network) {
    PlanChecks.checkTraining(Nets.training(network.get()));
  }

  /** The same checks on 500 random graphs ({@link RandomNets}), with a fixed seed. */
  @Test
  void randomNetworks() {
    Random random = new Random(20260701);
    for (int t = 0; t < 500; t++) {
      NetworkDeclaration network = RandomNets.generate(random);
      Plan plan = Nets.plan(network);
      try {
        PlanChecks.checkInference(plan);
        PlanChecks.checkTraining(TrainingPlanner.plan(plan));
      } catch (AssertionFailedError e) {
        List<String> layers = new ArrayList<>();
        for (Step step : plan.steps()) {
          layers.add(step.node().name() + " " + step.node().describe() + " "
              + step.node().sources() + " " + step.node().output());
        }
        throw new AssertionFailedError(
            "random network " + t + " " + layers + ": " + e.getMessage(), e);
      }
    }
  }
}
