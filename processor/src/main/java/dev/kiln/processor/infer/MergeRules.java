package dev.kiln.processor.infer;

import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.LayerDeclaration.MergeDeclaration;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Shape rules of the merges: {@code Add} needs equal shapes; {@code Concat} equal heights and
 * widths (or vectors only), and stacks the channels in the order named.
 */
final class MergeRules {
  private MergeRules() {}

  /** The merge's node, or null after reporting a mismatch (or when an input is unknown). */
  static List<Node> infer(
      String name,
      MergeDeclaration merge,
      Optional<Activation> activation,
      List<Sources.Source> read,
      Diagnostics diagnostics) {
    List<Integer> sources = new ArrayList<>();
    List<TensorShape> inputs = new ArrayList<>();
    for (Sources.Source source : read) {
      if (source.shape() == null) {
        return null;
      }
      sources.add(source.index());
      inputs.add(source.shape());
    }
    Sources.Source first = read.get(0);
    TensorShape output = first.shape();
    for (Sources.Source other : read.subList(1, read.size())) {
      TensorShape a = first.shape();
      TensorShape b = other.shape();
      if (merge.kind() == Op.MergeKind.ADD && !a.equals(b)) {
        diagnostics.error(
            merge.origin(), null, "add-shapes",
            name + ": @Add sums layers of one shape, but " + first.name() + " gives " + a
                + " and " + other.name() + " gives " + b + "; " + addFix(first, other));
        return null;
      }
      if (merge.kind() == Op.MergeKind.CONCAT) {
        if (a.flat() != b.flat() || a.height() != b.height() || a.width() != b.width()) {
          diagnostics.error(
              merge.origin(), null, "concat-sizes",
              name + ": @Concat stacks channels of layers of one height and width, but "
                  + first.name() + " gives " + a + " and " + other.name() + " gives " + b
                  + "; give the branches the same strides and SAME padding (or pool the larger)");
          return null;
        }
        output = output.flat()
            ? TensorShape.vector(output.channels() + b.channels())
            : TensorShape.of(output.height(), output.width(), output.channels() + b.channels());
      }
    }
    return List.of(
        new Node(name, new Op.Merge(merge.kind()), activation, sources, inputs, output, merge.origin()));
  }

  /** How to make two shapes addable: a 1x1 projection of one, with a stride for a larger map. */
  private static String addFix(Sources.Source a, Sources.Source b) {
    TensorShape sa = a.shape();
    TensorShape sb = b.shape();
    if (sa.flat() || sb.flat()) {
      return "map one to the other's shape with a @Dense layer (or @Flatten the map first)";
    }
    // Project the side with the larger map (or, at equal sizes, the second) onto the other.
    Sources.Source from = sb.height() >= sa.height() ? b : a;
    Sources.Source to = from == b ? a : b;
    int stride = from.shape().height() / Math.max(1, to.shape().height());
    String strideText = stride > 1 ? ", stride = " + stride : "";
    String reference =
        from.index() == Node.NETWORK_INPUT ? "From.INPUT" : "\"" + from.name() + "\"";
    return "project " + from.name() + " with a 1x1 convolution, @Conv2D(filters = "
        + to.shape().channels() + ", kernel = 1" + strideText + ") @From(" + reference
        + "), and add that instead, as ResNet does where a block changes the shape";
  }
}
