package dev.kiln.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.processor.model.ConvGeometry;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.Op;
import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;
import dev.kiln.processor.plan.Step;
import dev.kiln.runtime.kernels.ConvolutionRules;
import dev.kiln.runtime.kernels.PlanarRules;

/**
 * The vectorized path of convolutions: calls into the runtime's {@code Kernels}
 * with the layer's shapes as literals, emitted as a block at the top of the layer method that
 * returns when {@code Kernels.VECTORIZED} (a start-up constant, so the JIT compiles one path
 * only). The plain loops below it remain the path for JVMs without the Vector API.
 *
 * <p>Strategy, chosen here at compile time and stated in the generated comments: a padded
 * convolution first copies its input into a zero border (so every window is an interior one); the
 * kernel gradient sums input times output gradient over the same windows; the input gradient is
 * the convolution of the output gradient, spread out by the stride and padded by the kernel size,
 * with the kernel turned 180 degrees and its channels swapped. The geometry and the choice of the
 * planar kernels are {@link ConvGeometry}'s.
 */
final class ConvKernelCalls {
  private static final ClassName KERNELS = Names.KERNELS;

  private ConvKernelCalls() {}

  static boolean supports(Op.Conv conv, Node node) {
    return ConvGeometry.of(conv, node.input(), node.output()) != null;
  }

  /** Forward of a convolution, ending with the fused activation and a return. */
  static CodeBlock forward(Step step, Op.Conv conv, CodeBlock activation) {
    ConvGeometry g = geometry(step, conv);
    int filters = conv.filters();
    CodeBlock.Builder code = CodeBlock.builder().beginControlFlow("if ($T.VECTORIZED)", KERNELS);
    if (g.planarForward()) {
      int scratchAt = addPlanarPrologue(code, step, g);
      code.addStatement(
          "$T.convolvePlanar(s, 0, $L, $L, $L, $L, $L, $L, $L, s, $L, $L, p, $L, $L, y, yo, $L, $L, s,"
              + " $L)",
          KERNELS, g.in().channels(), g.paddedHeight(), g.paddedWidth(), g.w().padTop(), g.w().padBottom(),
          g.w().kernelHeight(), g.w().kernelWidth(), g.planarInputSize(),
          PlanarRules.planarWidth(filters, g.out().height()), JavaLayer.biasArgument(step), filters,
          g.out().height(), g.out().width(), scratchAt);
      return code.add(activation).addStatement("return").endControlFlow().build();
    }
    if (g.w().padded()) {
      code.add("// Vector path: copy the input into a zero border ($Lx$Lx$L), then every window is"
              + " interior.\n", g.paddedHeight(), g.paddedWidth(), g.in().channels());
      code.addStatement("float[] s = $T.scratch($L)", KERNELS, g.paddedSize());
      addPad(code, g);
    } else {
      code.add("// Vector path: every window lies inside the input.\n");
    }
    if (winograd(step, conv)) {
      addWinogradComment(code, step, g, "");
      code.addStatement(
          "$T.winograd3x3($L, $L, $L, p, $L, p, $L, $L, y, yo, $L, $L, $L)", KERNELS, source(g),
          g.inputRow(), g.in().channels(), JavaLayer.weights(step), JavaLayer.biasArgument(step),
          filters, g.out().height(), g.out().width(), weightsKey(step, false));
      return code.add(activation).addStatement("return").endControlFlow().build();
    }
    int pixels = g.out().height() * g.out().width();
    int k = g.w().kernelHeight() * g.w().kernelWidth() * g.in().channels();
    code.add("// $L.\n", ConvolutionRules.describe(pixels, filters, k));
    if (ConvolutionRules.packs(pixels, filters, k, 8) || ConvolutionRules.packs(pixels, filters, k, 16)) {
      code.add("// The packed weights are kept under the key $L, packed again when the weights change.\n",
          weightsKey(step, false));
    }
    code.addStatement(
        "$T.convolve($L, $L, p, $L, p, $L, $L, y, yo, $L, $L, $L)", KERNELS, source(g), windows(g),
        JavaLayer.weights(step), JavaLayer.biasArgument(step), filters, g.out().height(),
        g.out().width(), weightsKey(step, false));
    return code.add(activation).addStatement("return").endControlFlow().build();
  }

  /** The forward pass's Winograd form and why ({@code how}: what the call adds), and its kept kernel's key. */
  private static void addWinogradComment(CodeBlock.Builder code, Step step, ConvGeometry g, String how) {
    code.add("// A 3x3 kernel of stride 1 over $L filters: $L$L.\n// Its transformed kernel is kept under"
            + " the key $L, made again when the weights change.\n", g.filters(),
        ConvolutionRules.describeWinograd(g.out().height(), g.out().width()), how, weightsKey(step, false));
  }

  /**
   * The key a kernel made from the layer's weights (Winograd's transform, a product's packed B)
   * is kept under ({@code Kernels.winograd3x3}, {@code Kernels.convolve}): twice the layer's
   * weight offset, plus one for the turned kernel of the input gradient, so every kernel of a
   * model has its own.
   */
  private static String weightsKey(Step step, boolean turned) {
    return "2 * " + step.weightConstant() + (turned ? " + 1" : "");
  }

  /** Whether the forward pass takes Winograd's form ({@link Op.Conv#takesWinograd}). */
  static boolean winograd(Step step, Op.Conv conv) {
    Node node = step.node();
    return conv.takesWinograd(node.input().channels(), conv.filters(), node.output());
  }

  /**
   * Whether the input gradient takes Winograd's form: the forward pass's rule with the
   * channel counts swapped (the turned kernel maps the filters back to the input channels).
   */
  static boolean winogradInputGradient(Step step, Op.Conv conv) {
    Node node = step.node();
    return conv.takesWinograd(conv.filters(), node.input().channels(), node.input());
  }

  /**
   * The vector path of a convolution over a tile of {@code n} samples ({@code x[xo + s *
   * xStride..]} to {@code y[yo + s * yStride..]}): each sample's input into a zero border where
   * the layer is padded, then one {@code Kernels.convolveTile}, then {@code activation} per sample
   * (at {@code y[ys..]}), and a return.
   */
  static CodeBlock tileForward(Step step, Op.Conv conv, CodeBlock activation) {
    ConvGeometry g = geometry(step, conv);
    CodeBlock.Builder code = CodeBlock.builder().beginControlFlow("if ($T.VECTORIZED)", KERNELS);
    String source;
    if (g.w().padded()) {
      code.add("// Vector path: each sample's input into a zero border ($Lx$Lx$L), then the tile's"
          + " convolution.\n", g.paddedHeight(), g.paddedWidth(), g.in().channels());
      code.addStatement("float[] s = $T.scratch(n * $L)", KERNELS, g.paddedSize());
      code.beginControlFlow("for (int k = 0; k < n; k++)");
      code.addStatement(
          "$T.pad(x, xo + k * xStride, $L, $L, $L, s, k * $L, $L, $L, $L, $L)", KERNELS,
          g.in().height(), g.in().width(), g.in().channels(), g.paddedSize(), g.w().padTop(),
          g.w().padLeft(), g.paddedHeight(), g.paddedWidth());
      code.endControlFlow();
      source = "s, 0, " + g.paddedSize();
    } else {
      code.add("// Vector path: every window lies inside the input.\n");
      source = "x, xo, xStride";
    }
    if (winograd(step, conv)) {
      addWinogradComment(code, step, g, ", one product per position over the tile's blocks");
      code.addStatement(
          "$T.winograd3x3Tile($L, $L, $L, p, $L, p, $L, $L, y, yo, yStride, $L, $L, n, $L)", KERNELS,
          source, g.inputRow(), g.in().channels(), JavaLayer.weights(step), JavaLayer.biasArgument(step),
          conv.filters(), g.out().height(), g.out().width(), weightsKey(step, false));
      return addTileActivation(code, activation);
    }
    code.add("// Per sample $L; a packed product takes the tile's pixels together, its weights packed"
            + " once.\n",
        ConvolutionRules.describe(
            g.out().height() * g.out().width(), conv.filters(),
            g.w().kernelHeight() * g.w().kernelWidth() * g.in().channels()));
    code.addStatement(
        "$T.convolveTile($L, $L, p, $L, p, $L, $L, y, yo, yStride, $L, $L, n, $L)", KERNELS, source,
        windows(g), JavaLayer.weights(step), JavaLayer.biasArgument(step), conv.filters(),
        g.out().height(), g.out().width(), weightsKey(step, false));
    return addTileActivation(code, activation);
  }

  /** {@code activation} per sample of the tile (at {@code y[ys..]}), then a return. */
  private static CodeBlock addTileActivation(CodeBlock.Builder code, CodeBlock activation) {
    if (!activation.isEmpty()) {
      code.beginControlFlow("for (int k = 0; k < n; k++)");
      code.addStatement("int ys = yo + k * yStride");
      code.add(activation);
      code.endControlFlow();
    }
    return code.addStatement("return").endControlFlow().build();
  }

  private static ConvGeometry geometry(Step step, Op.Conv conv) {
    return ConvGeometry.of(conv, step.node().input(), step.node().output());
  }

  /**
   * The vector path of a planar convolution fused with the 2x2 max pool after it ({@code
   * Plan.PoolFusion}): pool, bias and ReLU (with {@code relu}) straight from the planes into
   * {@code y[yo..]}, then a return; where the runtime cannot (it says so), the code after this
   * block runs the two layers.
   */
  static CodeBlock pooledForward(Step step, Op.Conv conv, boolean relu, String convName) {
    ConvGeometry g = geometry(step, conv);
    int filters = conv.filters();
    CodeBlock.Builder code = CodeBlock.builder().beginControlFlow("if ($T.VECTORIZED)", KERNELS);
    int scratchAt = addPlanarPrologue(code, step, g);
    code.add("// The pool$L straight from the planes: $L's own output is never written.\n",
        relu ? ", the bias and ReLU" : " and the bias", convName);
    code.beginControlFlow(
        "if ($T.convolvePlanarPooled(s, 0, $L, $L, $L, $L, $L, $L, $L, s, $L, $L, p, $L, $L, $L, y,"
            + " yo, $L, $L, s, $L))",
        KERNELS, g.in().channels(), g.paddedHeight(), g.paddedWidth(), g.w().padTop(), g.w().padBottom(),
        g.w().kernelHeight(), g.w().kernelWidth(), g.planarInputSize(),
        PlanarRules.planarWidth(filters, g.out().height()), JavaLayer.biasArgument(step), filters, relu,
        g.out().height(), g.out().width(), scratchAt);
    return code.addStatement("return").endControlFlow().endControlFlow().build();
  }

  /**
   * The planar forward's comment, scratch, planar input and widened weights; returns where in
   * scratch the planes go.
   */
  private static int addPlanarPrologue(CodeBlock.Builder code, Step step, ConvGeometry g) {
    int filters = g.filters();
    int np = PlanarRules.planarWidth(filters, g.out().height());
    int weights = g.w().kernelHeight() * g.w().kernelWidth() * g.in().channels() * np;
    code.add("// Vector path, planar: $L filters would fill $L lanes of a vector of channels, so"
        + " vectorize along\n", filters, filters);
    code.add("// the output row: input made planar ($Lx$Lx$L), weights widened to $L"
        + " channels.\n", g.in().channels(), g.paddedHeight(), g.paddedWidth(), np);
    code.addStatement("float[] s = $T.scratch($L)", KERNELS,
        g.planarInputSize() + weights + np * g.out().height() * g.out().width());
    addPlanar(code, g, 0);
    code.addStatement("$T.widen(p, $L, $L, $L, $L, s, $L)", KERNELS, JavaLayer.weights(step),
        g.w().kernelHeight() * g.w().kernelWidth() * g.in().channels(), filters, np,
        g.planarInputSize());
    return g.planarInputSize() + weights;
  }

  /**
   * Backward of a convolution after the activation derivative and the bias gradient: the kernel
   * gradient and, if {@code dx}, the input gradient; ends with a return.
   */
  static CodeBlock backward(Step step, Op.Conv conv, boolean dx) {
    ConvGeometry g = geometry(step, conv);
    Window w = g.w();
    int filters = conv.filters();
    CodeBlock.Builder code = CodeBlock.builder().beginControlFlow("if ($T.VECTORIZED)", KERNELS);
    // Scratch, in order: the zero-bordered input (padded layers that are not planar), then for
    // the input gradient the spread output gradient, the turned kernel and, on the planar path,
    // the planar result.
    // A planar layer's kernel gradient makes its own planar copies, from 0, before the input
    // gradient's buffers are written; the zero-bordered input is for the other layers' one. Its
    // blocks are five taps wide, so a kernel narrower than four would leave most of them empty
    // (a 1x1 kernel: 2.8 times the FMAs of the kernel gradient along the channels).
    boolean planarGradient = g.planarForward() && w.kernelWidth() >= 4;
    int spread = planarGradient ? 0 : g.paddedSize();
    int spreadSize = g.spreadHeight() * g.spreadWidth() * filters;
    int channelsWide =
        g.planarInputGradient() ? PlanarRules.planarWidth(g.in().channels(), g.in().height()) : g.in().channels();
    int rotated = spread + (dx ? spreadSize : 0);
    int rotatedSize = w.kernelHeight() * w.kernelWidth() * filters * channelsWide;
    int planarOut = rotated + (dx ? rotatedSize : 0);
    int planarOutSize = channelsWide * g.in().height() * g.in().width();
    int total = planarOut + (dx && g.planarInputGradient() ? planarOutSize : 0);
    if (planarGradient) {
      total = Math.max(total, PlanarRules.weightGradientPlanarScratch(g.in().channels(), w.kernelHeight(),
          w.kernelWidth(), filters, g.out().height(), g.out().width()));
    }
    if (total > 0) {
      code.addStatement("float[] s = $T.scratch($L)", KERNELS, total);
    }
    if (planarGradient) {
      // Few channels fill few lanes of a vector along them; along the output rows, blocks of
      // five taps by three filters fill them all, 2.3 times fewer FMAs for LeNet-5's c1. Its
      // time moved less (11.8 to 10.8 us in one JVM; 4 to 6 us in others, as the JIT compiled it).
      code.add("// Vector path, planar: the kernel gradient along the output rows, from planar"
          + " copies of the input\n// and of the output gradient ($L filters would fill $L lanes"
          + " of a vector of channels).\n", filters, filters);
      code.addStatement(
          "$T.weightGradientPlanar(x, xo, $L, $L, $L, $L, $L, $L, $L, d, dOff, $L, $L, $L, g, $L, s,"
              + " 0)",
          KERNELS, g.in().height(), g.in().width(), g.in().channels(), w.padTop(), w.padLeft(),
          w.kernelHeight(), w.kernelWidth(), filters, g.out().height(), g.out().width(),
          JavaLayer.weights(step));
    } else if (w.padded()) {
      code.add("// Vector path: the kernel gradient over the zero-bordered input.\n");
      addPad(code, g);
    } else {
      code.add("// Vector path: the kernel gradient over the input's windows.\n");
    }
    if (!planarGradient && winograd(step, conv)) {
      code.add("// Winograd F(2x2, 3x3) for the kernel gradient: the output gradient's 2x2 blocks"
          + " widened to 4x4, 16 products over them.\n");
      code.addStatement(
          "$T.winogradWeightGradient3x3($L, $L, $L, d, dOff, $L, $L, $L, g, $L)", KERNELS, source(g),
          g.inputRow(), g.in().channels(), filters, g.out().height(), g.out().width(),
          JavaLayer.weights(step));
    } else if (!planarGradient) {
      code.addStatement(
          "$T.weightGradient($L, $L, d, dOff, $L, $L, $L, g, $L)", KERNELS, source(g),
          windows(g), filters, g.out().height(), g.out().width(), JavaLayer.weights(step));
    }
    if (!dx) {
      return code.addStatement("return").endControlFlow().build();
    }
    int top = w.kernelHeight() - 1 - w.padTop();
    int left = w.kernelWidth() - 1 - w.padLeft();
    code.add("// The input gradient: the output gradient spread by the stride into a $Lx$Lx$L"
            + " buffer,\n", g.spreadHeight(), g.spreadWidth(), filters);
    code.add("// convolved with the kernel turned 180 degrees, in and out channels swapped.\n");
    code.addStatement(
        "$T.rotate(p, $L, $L, $L, $L, $L, $L, s, $L)", KERNELS, JavaLayer.weights(step),
        w.kernelHeight(), w.kernelWidth(), g.in().channels(), filters, channelsWide, rotated);
    if (g.planarInputGradient()) {
      code.add("// Planar: $L input channels would fill $L lanes of a vector of channels.\n",
          g.in().channels(), g.in().channels());
      code.addStatement("$T.toPlanar(d, dOff, $L, $L, $L, $L, s, $L, $L, $L, $L, $L)", KERNELS,
          g.out().height(), g.out().width(), filters, filters, spread, top, left, g.spreadHeight(),
          g.spreadWidth());
      // Rows of the spread output gradient above and below its data are zero: skipped.
      code.addStatement(
          "$T.convolvePlanar(s, $L, $L, $L, $L, $L, $L, $L, $L, s, $L, $L, p, -1, $L, dx, dxo, $L, $L,"
              + " s, $L)",
          KERNELS, spread, filters, g.spreadHeight(), g.spreadWidth(), top,
          g.spreadHeight() - top - g.out().height(), w.kernelHeight(), w.kernelWidth(), rotated,
          channelsWide, g.in().channels(), g.in().height(), g.in().width(), planarOut);
    } else {
      code.addStatement(
          "$T.spread(d, dOff, $L, $L, $L, $L, $L, s, $L, $L, $L, $L, $L)", KERNELS,
          g.out().height(), g.out().width(), filters, w.strideHeight(), w.strideWidth(), spread, top,
          left, g.spreadHeight(), g.spreadWidth());
      int row = g.spreadWidth() * filters;
      if (winogradInputGradient(step, conv)) {
        code.add("// The turned kernel is 3x3 of stride 1 over $L channels: $L\n// (kept under the key"
            + " $L, made again when the weights change).\n", g.in().channels(),
            ConvolutionRules.describeWinograd(g.in().height(), g.in().width()), weightsKey(step, true));
        code.addStatement(
            "$T.winograd3x3(s, $L, $L, $L, s, $L, s, -1, $L, dx, dxo, $L, $L, $L)", KERNELS, spread,
            row, filters, rotated, g.in().channels(), g.in().height(), g.in().width(),
            weightsKey(step, true));
      } else {
        code.addStatement(
            "$T.convolve(s, $L, $L, $L, $L, $L, $L, s, $L, s, -1, $L, dx, dxo, $L, $L)", KERNELS,
            spread, row, filters, row, w.kernelHeight(), w.kernelWidth() * filters, rotated,
            g.in().channels(), g.in().height(), g.in().width());
      }
    }
    return code.addStatement("return").endControlFlow().build();
  }

  /** The input the windows read: the padded copy in scratch, or x itself. */
  static String source(ConvGeometry g) {
    return g.w().padded() ? "s, 0" : "x, xo";
  }

  /** {@code rowStep, colStep, tapStep, taps, tapLength} of the windows over the input. */
  private static String windows(ConvGeometry g) {
    Window w = g.w();
    return (w.strideHeight() * g.inputRow()) + ", " + (w.strideWidth() * g.in().channels()) + ", "
        + g.inputRow() + ", " + w.kernelHeight() + ", " + (w.kernelWidth() * g.in().channels());
  }

  /** The input, planar inside its zero border, at {@code s[at..]}. */
  private static void addPlanar(CodeBlock.Builder code, ConvGeometry g, int at) {
    code.addStatement(
        "$T.toPlanar(x, xo, $L, $L, $L, $L, s, $L, $L, $L, $L, $L)", KERNELS, g.in().height(),
        g.in().width(), g.in().channels(), g.in().channels(), at, g.w().padTop(), g.w().padLeft(),
        g.paddedHeight(), g.paddedWidth());
  }

  private static void addPad(CodeBlock.Builder code, ConvGeometry g) {
    code.addStatement(
        "$T.pad(x, xo, $L, $L, $L, s, 0, $L, $L, $L, $L)", KERNELS, g.in().height(), g.in().width(),
        g.in().channels(), g.w().padTop(), g.w().padLeft(), g.paddedHeight(), g.paddedWidth());
  }
}
