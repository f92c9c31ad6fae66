package dev.kiln.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

/**
 * The JMH module's per-layer benchmark covers every layer of both workloads, and each of its
 * states runs its forward and backward pass (JMH itself is not started: CI has no minutes for
 * timing).
 */
class LayerBenchmarkTest {
  @Test
  void everyLayerOfBothWorkloadsIsBenchmarkedAndRuns() throws ReflectiveOperationException {
    List<String> params =
        List.of(LayerBenchmark.class.getField("layer").getAnnotation(Param.class).value());
    List<String> layers = new ArrayList<>();
    for (String workload : List.of("LENET", "SEEDCNN")) {
      Model model = NetworkCalls.of(workload).create(1);
      for (Layer layer : model.layers()) {
        if (layer.weightCount() > 0 || !layer.inputShape().equals(layer.outputShape())) {
          layers.add(workload + "." + layer.name());
        }
      }
    }
    assertEquals(layers, params, "the layers that compute something, in network order");
    for (String param : params) {
      LayerBenchmark state = new LayerBenchmark();
      state.layer = param;
      state.setUp();
      float[] y = state.forward();
      assertTrue(Arrays.stream(toDoubles(y)).allMatch(Double::isFinite), param + " forward");
      float[] g = state.backward();
      assertTrue(Arrays.stream(toDoubles(g)).allMatch(Double::isFinite), param + " backward");
    }
  }

  private static double[] toDoubles(float[] values) {
    double[] doubles = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      doubles[i] = values[i];
    }
    return doubles;
  }
}
