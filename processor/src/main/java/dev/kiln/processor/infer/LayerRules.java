package dev.kiln.processor.infer;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Padding;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.ActivationDeclaration;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.LayerDeclaration.BatchNormDeclaration;
import dev.kiln.processor.model.LayerDeclaration.ConvDeclaration;
import dev.kiln.processor.model.LayerDeclaration.DenseDeclaration;
import dev.kiln.processor.model.LayerDeclaration.DepthwiseConvDeclaration;
import dev.kiln.processor.model.LayerDeclaration.DropoutDeclaration;
import dev.kiln.processor.model.LayerDeclaration.FlattenDeclaration;
import dev.kiln.processor.model.LayerDeclaration.MergeDeclaration;
import dev.kiln.processor.model.LayerDeclaration.PoolDeclaration;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.Origin;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Shape inference and checks, one function per layer kind, following TensorFlow's rules.
 *
 * <p>Each function first checks the annotation's own values, then (if the input shape is known)
 * the fit to its input. It returns the nodes the layer makes, or null if its output is unknown.
 */
final class LayerRules {
  private LayerRules() {}

  /**
   * The nodes a field's layer makes, or null if its output is unknown: one shape function per
   * declared kind (merges in {@link MergeRules}). {@code read} is what it reads, {@code index} the
   * number of nodes before it.
   */
  static List<Node> infer(
      String name,
      LayerDeclaration layer,
      Optional<Activation> activation,
      List<Sources.Source> read,
      int index,
      Diagnostics diagnostics) {
    Sources.Source first = read.get(0);
    Context c =
        new Context(name, layer.origin(), first.shape(), first.name(), first.index(), index,
            diagnostics);
    return layer.accept(
        new LayerDeclaration.Visitor<List<Node>>() {
          @Override
          public List<Node> conv(ConvDeclaration conv) {
            return LayerRules.conv(c, conv, activation);
          }

          @Override
          public List<Node> depthwiseConv(DepthwiseConvDeclaration depthwiseConv) {
            return LayerRules.depthwiseConv(c, depthwiseConv, activation);
          }

          @Override
          public List<Node> pool(PoolDeclaration pool) {
            return LayerRules.pool(c, pool, activation);
          }

          @Override
          public List<Node> dense(DenseDeclaration dense) {
            return LayerRules.dense(c, dense, activation);
          }

          @Override
          public List<Node> flatten(FlattenDeclaration flatten) {
            return LayerRules.flatten(c, flatten, activation);
          }

          @Override
          public List<Node> batchNorm(BatchNormDeclaration batchNorm) {
            return LayerRules.batchNorm(c, batchNorm, activation);
          }

          @Override
          public List<Node> merge(MergeDeclaration merge) {
            return MergeRules.infer(name, merge, activation, read, diagnostics);
          }

          @Override
          public List<Node> dropout(DropoutDeclaration dropout) {
            return LayerRules.dropout(c, dropout, activation);
          }
        });
  }

  /** Checks an activation's own values; empty if it is invalid. */
  static Optional<Activation> activation(
      FieldDeclaration field, ActivationDeclaration a, boolean last, Diagnostics diagnostics) {
    boolean ok = true;
    if (a.kind() == Activation.Kind.LEAKY_RELU
        && (!Double.isFinite(a.alpha()) || a.alpha() < 0)) {
      diagnostics.error(
          a.origin(),
          "alpha",
          "bad-alpha",
          field.name()
              + ": LeakyReLU alpha is the slope for negative inputs and must be a finite number"
              + " >= 0, got "
              + a.alpha()
              + "; TensorFlow's default is 0.2");
      ok = false;
    }
    if (a.kind() == Activation.Kind.SOFTMAX && !last) {
      diagnostics.error(
          a.origin(),
          null,
          "softmax-not-last",
          field.name()
              + ": Softmax turns the network's output logits into probabilities, so it must be on"
              + " the last layer; use @ReLU here, or move @Softmax to the last field");
      ok = false;
    }
    return ok ? Optional.of(new Activation(a.kind(), a.alpha())) : Optional.empty();
  }

  private static List<Node> conv(Context c, ConvDeclaration d, Optional<Activation> activation) {
    boolean ok = positive(c, "filters", "bad-filters", "Conv2D filters", d.filters(), "e.g. 32");
    ok &= biasInitNeedsBias(c, "Conv2D", d.bias(), d.biasInit());
    Window window = convolutionWindow(c, "Conv2D", d.kernel(), d.stride(), d.padding(), d.pad(), ok);
    if (window == null) {
      return null;
    }
    TensorShape output = TensorShape.of(outHeight(c.input, window), outWidth(c.input, window), d.filters());
    return c.node(
        new Op.Conv(d.filters(), window, d.bias(), d.init(), d.biasInit()), activation, output);
  }

  /** A depthwise convolution: the convolution's window, and each channel's multiplier filters. */
  private static List<Node> depthwiseConv(
      Context c, DepthwiseConvDeclaration d, Optional<Activation> activation) {
    String kind = "DepthwiseConv2D";
    boolean ok =
        positive(c, "depthMultiplier", "bad-depth-multiplier", kind + " depthMultiplier",
            d.depthMultiplier(), "e.g. 1");
    ok &= biasInitNeedsBias(c, kind, d.bias(), d.biasInit());
    Window window = convolutionWindow(c, kind, d.kernel(), d.stride(), d.padding(), d.pad(), ok);
    if (window == null) {
      return null;
    }
    long channels = (long) c.input.channels() * d.depthMultiplier();
    if (channels > Integer.MAX_VALUE) {
      c.error(
          "depthMultiplier",
          "bad-depth-multiplier",
          kind + " depthMultiplier " + d.depthMultiplier() + " gives its input's "
              + c.input.channels() + " channels " + channels
              + " output channels, more than a Java int can count; use a smaller depthMultiplier");
      return null;
    }
    TensorShape output =
        TensorShape.of(outHeight(c.input, window), outWidth(c.input, window), (int) channels);
    return c.node(
        new Op.DepthwiseConv(d.depthMultiplier(), window, d.bias(), d.init(), d.biasInit()),
        activation, output);
  }

  /**
   * A convolution's kernel, stride and padding checked and resolved against its input ({@code
   * kind} names it in messages); null when they are wrong, when the input is unknown or not
   * spatial, or when {@code ok} says an earlier check failed.
   */
  private static Window convolutionWindow(
      Context c, String kind, int[] kernelValues, int[] strideValues, Padding padding,
      int[] padValues, boolean ok) {
    int[] kernel = pair(c, "kernel", "bad-kernel", kind + " kernel", kernelValues, "e.g. 3 or {3, 5}");
    int[] stride = pair(c, "stride", "bad-stride", kind + " stride", strideValues, "e.g. 1 or {2, 2}");
    int[] pad = explicitPad(c, kind, padValues, padding);
    ok &= pad != null || padValues.length == 0;
    if (!ok || kernel == null || stride == null || c.input == null) {
      return null;
    }
    if (!c.spatial(kind)) {
      return null;
    }
    return window(c, kind + " kernel", "kernel", kernel, stride, padding, pad);
  }

  private static boolean biasInitNeedsBias(
      Context c, String kind, boolean bias, BiasInit biasInit) {
    if (bias || biasInit == BiasInit.ZEROS) {
      return true;
    }
    c.error(
        "biasInit",
        "bias-init-without-bias",
        kind + " sets biasInit = " + biasInit + " but bias = false, so there is no bias to"
            + " initialize; remove one of them");
    return false;
  }

  private static List<Node> pool(Context c, PoolDeclaration d, Optional<Activation> activation) {
    String kind = d.kind().displayName();
    if (d.kind() == Op.PoolKind.GLOBAL_AVG) {
      if (c.input == null || !c.spatial(kind)) {
        return null;
      }
      Window whole =
          new Window(
              c.input.height(), c.input.width(), c.input.height(), c.input.width(), 0, 0, 0, 0,
              "VALID");
      return c.node(
          new Op.Pool(d.kind(), whole), activation, TensorShape.of(1, 1, c.input.channels()));
    }
    int[] size = pair(c, "size", "bad-pool-size", kind + " size", d.size(), "e.g. 2 or {2, 2}");
    int[] stride =
        d.stride().length == 0
            ? size
            : pair(c, "stride", "bad-stride", kind + " stride", d.stride(), "e.g. 2 or {2, 2}");
    int[] pad = explicitPad(c, kind, d.pad(), d.padding());
    if (size == null || stride == null || c.input == null || (pad == null && d.pad().length > 0)) {
      return null;
    }
    if (pad != null
        && (pad[0] >= size[0] || pad[1] >= size[0] || pad[2] >= size[1] || pad[3] >= size[1])) {
      // A window of padding alone would have no real cell to take the maximum or average of.
      c.error(
          "pad",
          "bad-pad",
          kind + " pad " + literal(d.pad()) + " must be smaller than the window " + size[0] + "x"
              + size[1] + " on each side, or a window could hold padding only; use a smaller pad"
              + " or a larger window");
      return null;
    }
    if (!c.spatial(kind)) {
      return null;
    }
    Window window = window(c, kind + " window", "size", size, stride, d.padding(), pad);
    if (window == null) {
      return null;
    }
    TensorShape output =
        TensorShape.of(outHeight(c.input, window), outWidth(c.input, window), c.input.channels());
    return c.node(new Op.Pool(d.kind(), window), activation, output);
  }

  private static List<Node> dense(Context c, DenseDeclaration d, Optional<Activation> activation) {
    if (!positive(c, "units", "bad-units", "Dense units", d.units(), "e.g. 10 for ten classes")
        || c.input == null) {
      return null;
    }
    if (!biasInitNeedsBias(c, "Dense", d.bias(), d.biasInit())) {
      return null;
    }
    Op.Dense op = new Op.Dense(d.units(), d.bias(), d.init(), d.biasInit());
    TensorShape output = TensorShape.vector(d.units());
    if (c.input.flat()) {
      return c.node(op, activation, output);
    }
    // Dense reads a vector: flatten first (HWC order), shown as its own row in the summary.
    TensorShape flat = TensorShape.vector((int) c.input.size());
    Node flatten =
        new Node(
            c.name + ".flatten", new Op.Flatten(true), Optional.empty(), c.source, c.input, flat,
            c.origin);
    Node node = new Node(c.name, op, activation, c.index, flat, output, c.origin);
    return List.of(flatten, node);
  }

  private static List<Node> flatten(
      Context c, FlattenDeclaration d, Optional<Activation> activation) {
    if (c.input == null) {
      return null;
    }
    if (c.input.flat()) {
      c.error(
          null,
          "already-flat",
          "Flatten gets the vector "
              + c.input
              + " from "
              + c.from
              + ", which is already flat; remove the @Flatten (or move it before the first"
              + " Dense)");
      return null;
    }
    return c.node(new Op.Flatten(false), activation, TensorShape.vector((int) c.input.size()));
  }

  private static List<Node> dropout(
      Context c, DropoutDeclaration d, Optional<Activation> activation) {
    if (!(d.rate() >= 0 && d.rate() < 1)) {
      c.error(
          "rate",
          "bad-dropout-rate",
          "Dropout rate is the probability of dropping a value and must be in [0, 1), got "
              + d.rate()
              + "; the lecture uses 0.3 to 0.5");
      return null;
    }
    if (c.input == null) {
      return null;
    }
    return c.node(new Op.Dropout(d.rate()), activation, c.input);
  }

  private static List<Node> batchNorm(
      Context c, BatchNormDeclaration d, Optional<Activation> activation) {
    boolean ok = true;
    if (!(d.momentum() >= 0 && d.momentum() < 1)) {
      c.error(
          "momentum",
          "bad-momentum",
          "BatchNorm momentum is the weight of the old moving average and must be in [0, 1), got "
              + d.momentum() + "; TensorFlow's default is 0.99");
      ok = false;
    }
    if (!(d.epsilon() > 0 && Double.isFinite(d.epsilon()))) {
      c.error(
          "epsilon",
          "bad-epsilon",
          "BatchNorm epsilon keeps the division by the standard deviation finite and must be a"
              + " finite number > 0, got " + d.epsilon() + "; TensorFlow's default is 0.001");
      ok = false;
    }
    if (!ok || c.input == null) {
      return null;
    }
    return c.node(new Op.BatchNorm(d.momentum(), d.epsilon()), activation, c.input);
  }

  // ---- windows (TensorFlow's padding arithmetic) ----

  /**
   * Resolves padding and checks the window fits: VALID {@code out = floor((n - k) / s) + 1}; SAME
   * {@code out = ceil(n / s)} with total padding {@code max((out - 1) * s + k - n, 0)}, smaller
   * half first; explicit {@code pad} ({@code {top, bottom, left, right}}): {@code out = floor((n
   * - k + top + bottom) / s) + 1}.
   */
  private static Window window(
      Context c, String what, String attribute, int[] k, int[] s, Padding padding, int[] pad) {
    TensorShape in = c.input;
    int[] top = new int[2];
    int[] bottom = new int[2];
    String paddingName;
    if (pad != null) {
      top = new int[] {pad[0], pad[2]};
      bottom = new int[] {pad[1], pad[3]};
      paddingName =
          pad[0] != pad[1] || pad[2] != pad[3]
              ? "pad " + pad[0] + "/" + pad[1] + "/" + pad[2] + "/" + pad[3]
              : "pad " + (pad[0] == pad[2] ? String.valueOf(pad[0]) : pad[0] + "x" + pad[2]);
    } else if (padding == Padding.SAME) {
      int[] n = {in.height(), in.width()};
      for (int axis = 0; axis < 2; axis++) {
        // In long: n + s - 1 overflows an int for a stride near Integer.MAX_VALUE.
        long out = ((long) n[axis] + s[axis] - 1) / s[axis];
        long total = Math.max((out - 1) * s[axis] + k[axis] - n[axis], 0); // < k: fits an int
        top[axis] = (int) (total / 2);
        bottom[axis] = (int) (total - total / 2);
      }
      paddingName = "SAME";
    } else {
      paddingName = "VALID";
    }
    boolean isPool = !what.contains("Conv2D ");
    long paddedHeight = (long) in.height() + top[0] + bottom[0];
    long paddedWidth = (long) in.width() + top[1] + bottom[1];
    if (k[0] > paddedHeight || k[1] > paddedWidth) {
      String fix =
          isPool
              ? "use a smaller window or padding = SAME"
              : "use a smaller kernel, padding = SAME, or pad = "
                  + Math.max((k[0] - in.height() + 1) / 2, (k[1] - in.width() + 1) / 2);
      c.error(
          attribute,
          isPool ? "window-too-large" : "kernel-too-large",
          what
              + " "
              + k[0]
              + "x"
              + k[1]
              + " does not fit its input "
              + in
              + " from "
              + c.from
              + (pad != null ? " (padded: " + paddedHeight + "x" + paddedWidth + ")" : "")
              + " with "
              + paddingName
              + " padding; "
              + fix);
      return null;
    }
    if (paddedHeight > Integer.MAX_VALUE || paddedWidth > Integer.MAX_VALUE) {
      // Generated code computes window positions in the padded input with ints.
      c.error(
          pad != null ? "pad" : attribute,
          pad != null ? "bad-pad" : isPool ? "window-too-large" : "kernel-too-large",
          what
              + " "
              + k[0]
              + "x"
              + k[1]
              + " with "
              + paddingName
              + " padding makes its input "
              + in
              + " a padded "
              + paddedHeight
              + "x"
              + paddedWidth
              + ", more rows or columns than a Java int can count; "
              + (pad != null ? "use a pad smaller than the kernel" : "use a smaller window"));
      return null;
    }
    Window window =
        new Window(k[0], k[1], s[0], s[1], top[0], bottom[0], top[1], bottom[1], paddingName);
    long droppedRows = paddedHeight - ((long) (outHeight(in, window) - 1) * s[0] + k[0]);
    long droppedColumns = paddedWidth - ((long) (outWidth(in, window) - 1) * s[1] + k[1]);
    if (padding != Padding.SAME && (droppedRows > 0 || droppedColumns > 0)) {
      c.warning(
          "stride",
          "stride-drops-input",
          what.split(" ")[0]
              + " with "
              + paddingName
              + " padding and stride "
              + s[0]
              + "x"
              + s[1]
              + " never reads the last "
              + droppedRows
              + " row(s) and "
              + droppedColumns
              + " column(s) of its input "
              + in
              + "; use padding = SAME, or a stride that divides the input minus the window");
    }
    return window;
  }

  private static int outHeight(TensorShape in, Window w) {
    return (in.height() + w.padTop() + w.padBottom() - w.kernelHeight()) / w.strideHeight() + 1;
  }

  private static int outWidth(TensorShape in, Window w) {
    return (in.width() + w.padLeft() + w.padRight() - w.kernelWidth()) / w.strideWidth() + 1;
  }

  // ---- value checks ----

  private static boolean positive(
      Context c, String attribute, String tag, String what, int value, String example) {
    if (value > 0) {
      return true;
    }
    c.error(attribute, tag, what + " must be at least 1, got " + value + "; " + example);
    return false;
  }

  /** One value (square) or {height, width}, all positive; null after reporting otherwise. */
  private static int[] pair(
      Context c, String attribute, String tag, String what, int[] values, String example) {
    if (values.length < 1 || values.length > 2) {
      c.error(
          attribute,
          tag,
          what
              + " takes one value (square) or two {height, width}, got "
              + literal(values)
              + "; "
              + example);
      return null;
    }
    for (int v : values) {
      if (v <= 0) {
        c.error(
            attribute,
            tag,
            what + " must be at least 1 in each direction, got " + literal(values) + "; " + example);
        return null;
      }
    }
    return values.length == 1 ? new int[] {values[0], values[0]} : values.clone();
  }

  /**
   * An explicit {@code pad} as {@code {top, bottom, left, right}}: one value (every side), two
   * ({@code {rows, columns}}) or four; null when there is none, or after reporting a bad one or
   * one beside {@code padding = SAME}.
   */
  private static int[] explicitPad(Context c, String kind, int[] values, Padding padding) {
    if (values.length == 0) {
      return null;
    }
    if (values.length != 1 && values.length != 2 && values.length != 4) {
      c.error(
          "pad",
          "bad-pad",
          kind + " pad takes one value, two {rows, columns} or four {top, bottom, left, right}, got "
              + literal(values) + "; e.g. 1");
      return null;
    }
    for (int v : values) {
      if (v < 0) {
        c.error(
            "pad",
            "bad-pad",
            kind + " pad adds zeros on each side and cannot be negative, got "
                + literal(values)
                + "; use 0 or more, or a larger stride or pooling to shrink the output");
        return null;
      }
    }
    if (padding == Padding.SAME) {
      c.error(
          "pad",
          "pad-and-same",
          kind + " sets both padding = SAME and pad = "
              + literal(values)
              + "; use one: SAME pads to keep ceil(input / stride), pad adds that many zeros on"
              + " each side");
      return null;
    }
    return switch (values.length) {
      case 1 -> new int[] {values[0], values[0], values[0], values[0]};
      case 2 -> new int[] {values[0], values[0], values[1], values[1]};
      default -> values.clone();
    };
  }

  static String literal(int[] values) {
    if (values.length == 1) {
      return String.valueOf(values[0]);
    }
    return Arrays.toString(values).replace('[', '{').replace(']', '}');
  }

  /** What every rule needs to know about the layer being checked. */
  private static final class Context {
    final String name;
    final Origin origin;
    final TensorShape input;
    final String from;
    /** The node it reads ({@link Node#NETWORK_INPUT} for the input). */
    final int source;
    /** The index its first node will have in the network. */
    final int index;
    final Diagnostics diagnostics;

    Context(
        String name, Origin origin, TensorShape input, String from, int source, int index,
        Diagnostics diagnostics) {
      this.name = name;
      this.origin = origin;
      this.input = input;
      this.from = from;
      this.source = source;
      this.index = index;
      this.diagnostics = diagnostics;
    }

    void error(String attribute, String tag, String message) {
      diagnostics.error(origin, attribute, tag, name + ": " + message);
    }

    void warning(String attribute, String tag, String message) {
      diagnostics.warning(origin, attribute, tag, name + ": " + message);
    }

    /** Checks that the input still has height and width. */
    boolean spatial(String kind) {
      if (!input.flat()) {
        return true;
      }
      error(
          null,
          "needs-spatial-input",
          kind
              + " needs a height x width x channels input, but gets the vector "
              + input
              + " from "
              + from
              + "; move it before the first @Dense or @Flatten");
      return false;
    }

    List<Node> node(Op op, Optional<Activation> activation, TensorShape output) {
      return List.of(new Node(name, op, activation, source, input, output, origin));
    }
  }
}
