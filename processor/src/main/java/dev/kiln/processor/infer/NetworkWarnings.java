package dev.kiln.processor.infer;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.Node;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Warnings for networks that are valid but probably not what the user wants. */
final class NetworkWarnings {
  /** Hidden Sigmoid layers in a row from which gradients visibly vanish (the lecture's point). */
  static final int SIGMOID_STACK = 3;

  private NetworkWarnings() {}

  /** Layers (but the last, the network's output) whose output no layer reads. */
  private static void deadBranches(List<Node> nodes, Diagnostics diagnostics) {
    Set<Integer> read = new HashSet<>();
    nodes.forEach(node -> read.addAll(node.sources()));
    for (int i = 0; i < nodes.size() - 1; i++) {
      Node node = nodes.get(i);
      if (!read.contains(i)) {
        diagnostics.warning(
            node.origin(),
            null,
            "dead-branch",
            node.name()
                + ": no layer reads its output, and it is not the network's output (the last"
                + " field), so it only costs time; read it with @From in a merge, or remove it");
      }
    }
  }

  static void check(List<Node> nodes, Diagnostics diagnostics) {
    deadBranches(nodes, diagnostics);
    int sigmoids = 0;
    for (int i = 0; i < nodes.size() - 1; i++) {
      Node node = nodes.get(i);
      Activation activation = node.activationFunction().orElse(null);
      if (activation == null) {
        continue;
      }
      if (activation.kind() != Activation.Kind.SIGMOID) {
        sigmoids = 0;
        continue;
      }
      sigmoids++;
      if (sigmoids == SIGMOID_STACK) {
        diagnostics.warning(
            node.origin(),
            null,
            "sigmoid-stack",
            node.name()
                + ": "
                + SIGMOID_STACK
                + " hidden Sigmoid layers in a row; a sigmoid's slope is at most 0.25, so"
                + " gradients shrink at every layer and the first layers barely learn (vanishing"
                + " gradients); use @ReLU for hidden layers");
      }
    }
    Node last = nodes.isEmpty() ? null : nodes.get(nodes.size() - 1);
    if (last != null && last.op().trainingMaskSize(last.output()) > 0) { // a random mask: Dropout
      diagnostics.warning(
          last.origin(),
          null,
          "dropout-last",
          last.name()
              + ": Dropout on the output drops predictions during training; put it before the"
              + " last layer");
    }
  }
}
