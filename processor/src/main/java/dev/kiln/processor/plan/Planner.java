package dev.kiln.processor.plan;

import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Lays out parameters (layer by layer, weights then bias) and activations. Activations ping-pong
 * between two workspace regions, each as large as the largest activation: a layer reads one and
 * writes the other, in-place layers write where they read, and the caller's input is never
 * written.
 */
public final class Planner {
  private Planner() {}

  public static Plan plan(NetworkModel model) {
    long largest = 1;
    for (Node node : model.nodes()) {
      largest = Math.max(largest, node.output().size());
    }
    int region = Math.toIntExact(largest);
    Plan.Location a = Plan.Location.workspace(0);
    Plan.Location b = Plan.Location.workspace(region);

    List<Step> steps = new ArrayList<>();
    Set<String> prefixes = new HashSet<>();
    long offset = 0;
    Plan.Location current = Plan.Location.INPUT;
    for (Node node : model.nodes()) {
      int weightOffset = Math.toIntExact(offset);
      offset += node.weightCount();
      int biasOffset = node.biasCount() > 0 ? Math.toIntExact(offset) : -1;
      offset += node.biasCount();

      String prefix = constantPrefix(node.name());
      for (int i = 2; !prefixes.add(prefix); i++) {
        prefix = constantPrefix(node.name()) + "_" + i;
      }
      Step probe = new Step(node, weightOffset, biasOffset, prefix, current, current);
      Plan.Location out;
      if (!probe.runsAtInference() || (probe.inPlace() && !current.isInput())) {
        out = current;
      } else {
        out = current.equals(a) ? b : a;
      }
      steps.add(new Step(node, weightOffset, biasOffset, prefix, current, out));
      current = out;
    }
    return new Plan(model, steps, Math.toIntExact(offset), 2 * region, current);
  }

  /** {@code c1} becomes {@code C1}, {@code convBlock2} becomes {@code CONV_BLOCK2}. */
  static String constantPrefix(String name) {
    String snake = name.replace(".", "_").replaceAll("([a-z0-9])([A-Z])", "$1_$2");
    return snake.toUpperCase(Locale.ROOT);
  }
}
