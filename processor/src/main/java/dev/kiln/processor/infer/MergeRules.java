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

  /**
   * How to make two shapes addable: a 1x1 projection of one onto the other, with the stride that
   * gives the other's height and width, where such a stride exists; otherwise the padding that
   * shrank one branch is the thing to change (a projection of the projection would not help).
   */
  private static String addFix(Sources.Source a, Sources.Source b) {
    TensorShape sa = a.shape();
    TensorShape sb = b.shape();
    if (sa.flat() || sb.flat()) {
      return "map one to the other's shape with a @Dense layer (or @Flatten the map first)";
    }
    // Project the side with the larger map (or, at equal sizes, the second) onto the other.
    Sources.Source from = sb.height() >= sa.height() ? b : a;
    Sources.Source to = from == b ? a : b;
    int rows = strideOnto(from.shape().height(), to.shape().height());
    int columns = strideOnto(from.shape().width(), to.shape().width());
    if (rows == 0 || columns == 0) {
      return "no 1x1 convolution maps " + from.shape().height() + "x" + from.shape().width()
          + " onto " + to.shape().height() + "x" + to.shape().width() + ": the branches lost"
          + " different numbers of rows and columns to VALID padding, so give the convolutions"
          + " and pools of the branch that shrank padding = Padding.SAME (or pad = (kernel - 1) / 2)";
    }
    // SAME gives a 1x1 window the same size as VALID, ceil(n / stride), without a warning that
    // the stride skips the last rows.
    String stride =
        rows == 1 && columns == 1 ? ""
            : (rows == columns ? ", stride = " + rows : ", stride = {" + rows + ", " + columns + "}")
                + ", padding = Padding.SAME";
    String reference =
        from.index() == Node.NETWORK_INPUT ? "From.INPUT" : "\"" + from.name() + "\"";
    return "project " + from.name() + " with a 1x1 convolution, @Conv2D(filters = "
        + to.shape().channels() + ", kernel = 1" + stride + ") @From(" + reference
        + "), and add that instead, as ResNet does where a block changes the shape";
  }

  /** The stride of a 1x1 VALID convolution that maps {@code n} rows onto {@code target}; 0 if none. */
  private static int strideOnto(int n, int target) {
    if (target == 1) {
      return n; // one output: a stride as long as the input
    }
    if (target > n) {
      return 0;
    }
    // (n - 1) / stride == target - 1 holds first at this stride, if at all.
    int stride = (n - 1) / target + 1;
    return (n - 1) / stride == target - 1 ? stride : 0;
  }
}
