package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * A convolution as register tiles: each work item computes a row segment of {@code pixels} output
 * pixels by a block of output channels, held in OpenCL vector accumulators ({@code float8},
 * {@code float4}, ...), so that every input value it loads feeds a vector multiply-add per piece
 * of the block and every weight vector it loads feeds one per pixel. Vector types are what PoCL
 * turns into SIMD instructions directly (it does not vectorize the per-value kernels across work
 * items when they branch), and the tile's reuse is what a GPU needs from its registers.
 *
 * <p>The same tile serves the forward pass (input, weights HWIO) and a stride-1 input gradient
 * (the output gradient as input, the kernel turned: flipped and with its channels swapped).
 */
final class ClTiledConv {
  private ClTiledConv() {}

  /**
   * Accumulators a tile may hold: with one or two weight vectors they fill AVX2's 16 registers.
   * Fourteen rather than twelve let a row of 14 take tiles of 7 pixels by 16 channels (SEEDCNN's
   * {@code c2}): its batched inference on PoCL ran about 10% faster.
   */
  static final int MOST_ACCUMULATORS = 14;

  /** Where and how a convolution runs: NHWC input and output, weights [kh][kw][cin][cout]. */
  record Shape(
      int inHeight, int inWidth, int inChannels, int outHeight, int outWidth, int outChannels,
      int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padTop, int padLeft) {

    boolean padsRows() {
      return padTop > 0 || (outHeight - 1) * strideHeight - padTop + kernelHeight > inHeight;
    }

    boolean padsColumns() {
      return padLeft > 0 || (outWidth - 1) * strideWidth - padLeft + kernelWidth > inWidth;
    }
  }

  /** A kernel body over work items {@code i} of one sample, and how many items a sample has. */
  record Tiled(String body, int items, String strategy) {}

  /** A block of {@code width} channels as vector pieces of 8, 4, 2 and 1 lanes. */
  static List<int[]> pieces(int width) {
    List<int[]> pieces = new ArrayList<>();
    int offset = 0;
    for (int lanes : new int[] {8, 4, 2, 1}) {
      while (width - offset >= lanes) {
        pieces.add(new int[] {offset, lanes});
        offset += lanes;
      }
    }
    return pieces;
  }

  /** Output channels per work item: 16 or 8 where they divide the count, else its largest divisor up to 16. */
  static int channelBlock(int channels) {
    if (channels % 16 == 0) {
      return 16;
    }
    if (channels % 8 == 0) {
      return 8;
    }
    return largestDivisorUpTo(channels, 16);
  }

  /** Output pixels per work item: the largest divisor of the row that keeps the accumulators in registers. */
  static int pixelBlock(int outWidth, int pieces) {
    return largestDivisorUpTo(outWidth, Math.max(1, MOST_ACCUMULATORS / pieces));
  }

  /** The largest divisor of {@code n} up to {@code most} (1 where none above 1 is). */
  static int largestDivisorUpTo(int n, int most) {
    for (int b = Math.min(n, most); b > 1; b--) {
      if (n % b == 0) {
        return b;
      }
    }
    return 1;
  }

  static String type(int lanes) {
    return lanes == 1 ? "float" : "float" + lanes;
  }

  /** The int vector type a comparison of {@code lanes} floats gives. */
  static String intType(int lanes) {
    return lanes == 1 ? "int" : "int" + lanes;
  }

  static String load(int lanes, String pointer) {
    return lanes == 1 ? "(" + pointer + ")[0]" : "vload" + lanes + "(0, " + pointer + ")";
  }

  static String store(int lanes, String value, String pointer) {
    return lanes == 1 ? "(" + pointer + ")[0] = " + value + ";" : "vstore" + lanes + "(" + value + ", 0, " + pointer + ");";
  }

  /**
   * The tiled convolution of one sample: {@code in}, {@code weights}, {@code bias} (or null) and
   * {@code out} are pointer expressions; {@code activation} turns an accumulator into the value
   * stored.
   */
  static Tiled convolution(
      Shape s, String in, String weights, String bias, String out, UnaryOperator<String> activation) {
    return convolution(s, in, weights, bias, out, activation, Gate.NONE);
  }

  /**
   * A derivative that an input gradient's kernel applies as it stores ({@link
   * ClActivation#gated}), reading the input's values at {@code source}, a pointer expression laid
   * out like the gradient; {@link #NONE} where it applies none.
   */
  record Gate(Optional<Activation> derivative, String source) {
    static final Gate NONE = new Gate(Optional.empty(), null);

    /** The value to store for {@code value}, the input's value being {@code y}. */
    String apply(String y, String value) {
      return ClActivation.gated(derivative, y, value);
    }

    /** Declares {@code name}, the source's values at {@code offset} (an expression), if the gate needs them. */
    String declare(String name, String offset) {
      return derivative.isEmpty() ? "" : "  __global const float* " + name + " = " + source + " + " + offset + ";\n";
    }
  }

  /**
   * As above, the stored values passed through {@code gate} after {@code activation} (an input
   * gradient as a convolution: the turned kernel's tiles).
   */
  static Tiled convolution(
      Shape s, String in, String weights, String bias, String out, UnaryOperator<String> activation, Gate gate) {
    if (s.inChannels() == 1 && s.outChannels() < LANES && s.strideWidth() == 1 && s.outWidth() >= LANES) {
      return pixelLanes(s, in, weights, bias, out, activation, gate);
    }
    int block = channelBlock(s.outChannels());
    int blocks = s.outChannels() / block;
    List<int[]> pieces = pieces(block);
    int pixels = pixelBlock(s.outWidth(), pieces.size());
    int segments = s.outWidth() / pixels;
    int items = s.outHeight() * segments * blocks;
    int f = s.outChannels();
    StringBuilder b = new StringBuilder();
    appendTileStart(b, in, blocks, block, segments, pixels, "ox0", "oy");
    appendBiases(b, pieces, bias);
    appendTile(b, "", s, weights, pieces, pixels);
    b.append("  __global float* y = ").append(out).append(" + (oy * ").append(s.outWidth())
        .append(" + ox0) * ").append(f).append(" + co0;\n");
    b.append(gate.declare("ys", "(oy * " + s.outWidth() + " + ox0) * " + f + " + co0"));
    for (int j = 0; j < pixels; j++) {
      for (int[] piece : pieces) {
        String value =
            gate.apply(load(piece[1], "ys + " + (j * f + piece[0])), activation.apply("a" + j + "_" + piece[0]));
        b.append("  ").append(store(piece[1], value, "y + " + (j * f + piece[0]))).append('\n');
      }
    }
    String strategy =
        "register tiles of " + pixels + " output pixel" + (pixels == 1 ? "" : "s") + " by " + block
            + " channels (vectors of " + describe(pieces) + "), a work item per tile";
    return new Tiled(b.toString().replace(" + 0]", "]").replace(" + 0)", ")"), items, strategy);
  }

  /**
   * The tiled convolution of one sample with a 2x2 max pool of stride 2 over its output (at
   * inference, {@link ClProgram#poolAfter}): a work item takes a segment of pooled pixels by a
   * block of channels, runs the tile of {@link #convolution} over the two output rows and the two
   * halves of the output segment under them, and keeps the maximum of the activated values in
   * the pool's output, which it starts at minus infinity as the pool's kernel does. The
   * convolution's own output is never written.
   */
  static Tiled pooledConvolution(
      Shape s, String in, String weights, String bias, String pooledOut, UnaryOperator<String> activation) {
    if (s.inChannels() == 1 && s.outChannels() < LANES && s.strideWidth() == 1 && s.outWidth() >= LANES) {
      return pooledPixelLanes(s, in, weights, bias, pooledOut, activation);
    }
    int block = channelBlock(s.outChannels());
    int blocks = s.outChannels() / block;
    List<int[]> pieces = pieces(block);
    int pooledWidth = s.outWidth() / 2;
    // Pooled pixels per work item: each half of the output segment under them is one tile.
    int pixels = pixelBlock(pooledWidth, pieces.size());
    int segments = pooledWidth / pixels;
    int items = s.outHeight() / 2 * segments * blocks;
    int f = s.outChannels();
    StringBuilder b = new StringBuilder();
    appendTileStart(b, in, blocks, block, segments, pixels, "px0", "py");
    appendBiases(b, pieces, bias);
    b.append("  __global float* y = ").append(pooledOut).append(" + (py * ").append(pooledWidth)
        .append(" + px0) * ").append(f).append(" + co0;\n");
    for (int j = 0; j < pixels; j++) {
      for (int[] piece : pieces) {
        b.append("  ").append(store(piece[1], "(" + type(piece[1]) + ")(-INFINITY)", "y + " + (j * f + piece[0]))).append('\n');
      }
    }
    b.append("  for (int dy = 0; dy < 2; dy++) {\n");
    b.append("    const int oy = 2 * py + dy;\n");
    for (int half = 0; half < 2; half++) {
      b.append("    {\n");
      b.append("      const int ox0 = 2 * px0 + ").append(half * pixels).append(";\n");
      appendTile(b, "    ", s, weights, pieces, pixels);
      for (int j = 0; j < pixels; j++) {
        // Output pixel ox0 + j lies in pooled pixel px0 + (half * pixels + j) / 2.
        int at = (half * pixels + j) / 2 * f;
        for (int[] piece : pieces) {
          String cell = "y + " + (at + piece[0]);
          b.append("      ").append(store(piece[1], "fmax(" + load(piece[1], cell) + ", "
              + activation.apply("a" + j + "_" + piece[0]) + ")", cell)).append('\n');
        }
      }
      b.append("    }\n");
    }
    b.append("  }\n");
    String strategy =
        "register tiles of " + pixels + " output pixel" + (pixels == 1 ? "" : "s") + " by " + block
            + " channels (vectors of " + describe(pieces) + "), four per work item: the two rows and"
            + " halves of the segment under " + pixels + " pooled pixel" + (pixels == 1 ? "" : "s")
            + ", whose maxima it keeps";
    return new Tiled(b.toString().replace(" + 0]", "]").replace(" + 0)", ")"), items, strategy);
  }

  /**
   * The input pointer and where work item {@code i}'s tile starts: channel {@code co0} (blocks of
   * {@code block}), column {@code column} (segments of {@code pixels}) and row {@code row}.
   */
  private static void appendTileStart(
      StringBuilder b, String in, int blocks, int block, int segments, int pixels, String column, String row) {
    b.append("  __global const float* in = ").append(in).append(";\n");
    b.append("  const int co0 = (i % ").append(blocks).append(") * ").append(block).append(";\n");
    b.append("  const int ").append(column).append(" = ((i / ").append(blocks).append(") % ").append(segments)
        .append(") * ").append(pixels).append(";\n");
    b.append("  const int ").append(row).append(" = i / ").append(blocks * segments).append(";\n");
  }

  /** Each piece's bias vector {@code b<offset>} (zero without a bias), the accumulators' start. */
  private static void appendBiases(StringBuilder b, List<int[]> pieces, String bias) {
    for (int[] piece : pieces) {
      String start =
          bias == null ? "(" + type(piece[1]) + ")(0.0f)" : load(piece[1], bias + " + co0 + " + piece[0]);
      b.append("  const ").append(type(piece[1])).append(" b").append(piece[0]).append(" = ").append(start).append(";\n");
    }
  }

  /**
   * One register tile: accumulators {@code a<j>_<offset>} for {@code pixels} output pixels from
   * {@code ox0} in row {@code oy} (variables in scope, as are {@code in}, {@code co0} and the
   * biases), started at the biases and summed over the window; {@code indent} before each line.
   */
  private static void appendTile(StringBuilder out, String indent, Shape s, String weights, List<int[]> pieces, int pixels) {
    int f = s.outChannels();
    int c = s.inChannels();
    StringBuilder b = new StringBuilder();
    for (int[] piece : pieces) {
      for (int j = 0; j < pixels; j++) {
        b.append("  ").append(type(piece[1])).append(" a").append(j).append('_').append(piece[0])
            .append(" = b").append(piece[0]).append(";\n");
      }
    }
    b.append("  for (int ky = 0; ky < ").append(s.kernelHeight()).append("; ky++) {\n");
    b.append("    const int iy = oy * ").append(s.strideHeight()).append(" - ").append(s.padTop()).append(" + ky;\n");
    if (s.padsRows()) {
      b.append("    if (iy < 0 || iy >= ").append(s.inHeight()).append(") continue;\n");
    }
    b.append("    __global const float* row = in + iy * ").append(s.inWidth() * c).append(";\n");
    b.append("    __global const float* wr = ").append(weights).append(" + ky * ")
        .append(s.kernelWidth() * c * f).append(" + co0;\n");
    // Pixel j of the segment reads row[(ox0 + j) * stride - pad + kx) * c + ci].
    b.append("    const int ix0 = ox0 * ").append(s.strideWidth()).append(" - ").append(s.padLeft()).append(";\n");
    if (!s.padsColumns()) {
      // The window's row is contiguous: kx and ci together are one run of kw * c values.
      b.append("    __global const float* xs = row + ix0 * ").append(c).append(";\n");
      b.append("    for (int t = 0; t < ").append(s.kernelWidth() * c).append("; t++) {\n");
      b.append("      __global const float* wt = wr + t * ").append(f).append(";\n");
      appendVectors(b, "      ", pieces, "w", "wt");
      appendMultiplyAdds(b, "      ", pieces, "w", pixels, j -> "xs[t + " + j * s.strideWidth() * c + "]");
      b.append("    }\n");
    } else {
      b.append("    for (int kx = 0; kx < ").append(s.kernelWidth()).append("; kx++) {\n");
      for (int j = 0; j < pixels; j++) {
        b.append("      const int x").append(j).append(" = ix0 + kx + ").append(j * s.strideWidth()).append(";\n");
        b.append("      const bool in").append(j).append(" = x").append(j).append(" >= 0 && x").append(j)
            .append(" < ").append(s.inWidth()).append(";\n");
      }
      b.append("      for (int ci = 0; ci < ").append(c).append("; ci++) {\n");
      b.append("        __global const float* wt = wr + (kx * ").append(c).append(" + ci) * ").append(f).append(";\n");
      appendVectors(b, "        ", pieces, "w", "wt");
      appendMultiplyAdds(b, "        ", pieces, "w", pixels, j -> "(in" + j + " ? row[x" + j + " * " + c + " + ci] : 0.0f)");
      b.append("      }\n");
      b.append("    }\n");
    }
    b.append("  }\n");
    for (String line : b.toString().split("\n")) {
      out.append(indent).append(line).append('\n');
    }
  }

  /** Lanes of the widest vector the tiles use (AVX2's eight floats). */
  static final int LANES = 8;

  /**
   * A narrow first layer (one input channel, fewer filters than lanes: LeNet-5's {@code c1}) in
   * tiles of eight neighbouring output pixels of one row, in the lanes of a {@code float8} per
   * filter: with one channel the eight pixels' inputs at a tap are one load, and every lane does
   * work, where channel vectors would fill six of eight. The last tile of a row starts eight
   * before its end and so overlaps the one before it, which it writes again with the same values.
   */
  private static Tiled pixelLanes(
      Shape s, String in, String weights, String bias, String out, UnaryOperator<String> activation, Gate gate) {
    int f = s.outChannels();
    int segments = (s.outWidth() + LANES - 1) / LANES;
    int items = s.outHeight() * segments;
    StringBuilder b = new StringBuilder();
    b.append("  __global const float* in = ").append(in).append(";\n");
    b.append("  const int ox0 = min((i % ").append(segments).append(") * ").append(LANES).append(", ")
        .append(s.outWidth() - LANES).append(");\n");
    b.append("  const int oy = i / ").append(segments).append(";\n");
    appendLaneTile(b, "", s, weights, bias);
    b.append("  __global float* y = ").append(out).append(" + (oy * ").append(s.outWidth()).append(" + ox0) * ").append(f).append(";\n");
    b.append(gate.declare("ys", "(oy * " + s.outWidth() + " + ox0) * " + f));
    for (int co = 0; co < f; co++) {
      b.append("  const float8 r").append(co).append(" = ").append(activation.apply("a" + co)).append(";\n");
    }
    for (int l = 0; l < LANES; l++) {
      b.append(" ");
      for (int co = 0; co < f; co++) {
        b.append(" y[").append(l * f + co).append("] = ")
            .append(gate.apply("ys[" + (l * f + co) + "]", "r" + co + ".s" + l)).append(';');
      }
      b.append('\n');
    }
    String body = b.toString().replaceAll("cell\\(([^)]*)\\)",
        "($1 >= 0 \\&\\& $1 < " + s.inWidth() + " ? row[$1] : 0.0f)");
    String strategy =
        "tiles of " + LANES + " neighbouring output pixels in the lanes of a float8 by all " + f
            + " filters (one input channel: the pixels' inputs at a tap are one load), a work item per tile";
    return new Tiled(body, items, strategy);
  }

  /**
   * One tile of {@link #pixelLanes}: a {@code float8} accumulator {@code a<co>} per filter for
   * the eight output pixels from {@code ox0} in row {@code oy} (variables in scope, as is {@code
   * in}), started at the bias and summed over the window; {@code indent} before each line.
   */
  private static void appendLaneTile(StringBuilder out, String indent, Shape s, String weights, String bias) {
    int f = s.outChannels();
    StringBuilder b = new StringBuilder();
    for (int co = 0; co < f; co++) {
      b.append("  float8 a").append(co).append(" = (float8)(").append(bias == null ? "0.0f" : "(" + bias + ")[" + co + "]")
          .append(");\n");
    }
    b.append("  for (int ky = 0; ky < ").append(s.kernelHeight()).append("; ky++) {\n");
    b.append("    const int iy = oy * ").append(s.strideHeight()).append(" - ").append(s.padTop()).append(" + ky;\n");
    if (s.padsRows()) {
      b.append("    if (iy < 0 || iy >= ").append(s.inHeight()).append(") continue;\n");
    }
    b.append("    __global const float* row = in + iy * ").append(s.inWidth()).append(";\n");
    b.append("    __global const float* wr = ").append(weights).append(" + ky * ").append(s.kernelWidth() * f).append(";\n");
    b.append("    const int x0 = ox0 - ").append(s.padLeft()).append(";\n");
    StringBuilder taps = new StringBuilder();
    for (int co = 0; co < f; co++) {
      taps.append(" a").append(co).append(" += v * wt[").append(co).append("];");
    }
    b.append("    for (int kx = 0; kx < ").append(s.kernelWidth()).append("; kx++) {\n");
    b.append("      __global const float* wt = wr + kx * ").append(f).append(";\n");
    if (!s.padsColumns()) {
      b.append("      const float8 v = vload8(0, row + x0 + kx);\n");
    } else {
      // A tap whose eight cells all lie in the row loads them at once; at the row's ends (a few
      // taps of the first and last tiles) lane by lane, a cell outside the input being zero.
      // Per tap rather than per tile: 256 images' c1 on PoCL took 0.95-1.5 ms against 1.6-1.9.
      StringBuilder lanes = new StringBuilder();
      for (int l = 0; l < LANES; l++) {
        lanes.append(l == 0 ? "" : ", ").append("cell(x + ").append(l).append(")");
      }
      b.append("      const int x = x0 + kx;\n");
      b.append("      float8 v;\n");
      b.append("      if (x >= 0 && x <= ").append(s.inWidth() - LANES).append(") v = vload8(0, row + x);\n");
      b.append("      else v = (float8)(").append(lanes.toString().replace("cell(x + 0)", "cell(x)")).append(");\n");
    }
    b.append("     ").append(taps).append("\n");
    b.append("    }\n");
    b.append("  }\n");
    for (String line : b.toString().split("\n")) {
      out.append(indent).append(line).append('\n');
    }
  }

  /**
   * {@link #pixelLanes} with a 2x2 max pool of stride 2 (see {@link #pooledConvolution}): a work
   * item runs the tiles of the two output rows under a pooled row's four pooled pixels, and keeps
   * each filter's maxima in a {@code float4} (the lanes' even and odd pixels are the windows'
   * columns), which it stores. The last tile of a row overlaps the one before, as there, and
   * stores the same maxima again.
   */
  private static Tiled pooledPixelLanes(
      Shape s, String in, String weights, String bias, String pooledOut, UnaryOperator<String> activation) {
    int f = s.outChannels();
    int segments = (s.outWidth() + LANES - 1) / LANES;
    int items = s.outHeight() / 2 * segments;
    StringBuilder b = new StringBuilder();
    b.append("  __global const float* in = ").append(in).append(";\n");
    b.append("  const int ox0 = min((i % ").append(segments).append(") * ").append(LANES).append(", ")
        .append(s.outWidth() - LANES).append(");\n");
    b.append("  const int py = i / ").append(segments).append(";\n");
    for (int co = 0; co < f; co++) {
      b.append("  float4 m").append(co).append(" = (float4)(-INFINITY);\n");
    }
    b.append("  for (int dy = 0; dy < 2; dy++) {\n");
    b.append("    const int oy = 2 * py + dy;\n");
    appendLaneTile(b, "  ", s, weights, bias);
    for (int co = 0; co < f; co++) {
      b.append("    const float8 r").append(co).append(" = ").append(activation.apply("a" + co)).append(";\n");
      b.append("    m").append(co).append(" = fmax(m").append(co).append(", fmax(r").append(co).append(".even, r")
          .append(co).append(".odd));\n");
    }
    b.append("  }\n");
    int pooledWidth = s.outWidth() / 2;
    b.append("  __global float* y = ").append(pooledOut).append(" + (py * ").append(pooledWidth).append(" + ox0 / 2) * ").append(f).append(";\n");
    for (int l = 0; l < LANES / 2; l++) {
      b.append(" ");
      for (int co = 0; co < f; co++) {
        b.append(" y[").append(l * f + co).append("] = m").append(co).append(".s").append(l).append(';');
      }
      b.append('\n');
    }
    String body = b.toString().replaceAll("cell\\(([^)]*)\\)",
        "($1 >= 0 \\&\\& $1 < " + s.inWidth() + " ? row[$1] : 0.0f)");
    String strategy =
        "tiles of " + LANES + " neighbouring output pixels in the lanes of a float8 by all " + f
            + " filters, two per work item: the rows under " + LANES / 2 + " pooled pixels, whose"
            + " maxima it keeps in a float4 per filter";
    return new Tiled(body, items, strategy);
  }

  /**
   * Whether a stride-1 input gradient should sum dot products over the filters ({@link
   * #dotInputGradient}) rather than run the turned kernel's tiles: where the input has fewer
   * channels than a vector's lanes (the turned tiles would fill few) and the filters fill whole
   * vectors, few enough for every channel's accumulators to stay in registers.
   */
  static boolean dotProductsFit(Shape s) {
    int vectors = s.outChannels() / LANES;
    return s.strideHeight() == 1 && s.strideWidth() == 1 && s.inChannels() < LANES
        && s.outChannels() % LANES == 0 && s.inChannels() * vectors <= MOST_ACCUMULATORS;
  }

  /**
   * A stride-1 input gradient as dot products along the filters: a work item per input pixel
   * sums, over the taps whose outputs it reached, the output gradient's filter vectors times
   * each channel's weight vectors (contiguous in HWIO), then adds each channel's lanes. {@code
   * gradient} and {@code inputGradient} are sample {@code b}'s pointer expressions, {@code
   * weights} the kernel's.
   */
  static Tiled dotInputGradient(Shape s, String gradient, String weights, String inputGradient, Gate gate) {
    int c = s.inChannels();
    int f = s.outChannels();
    int vectors = f / LANES;
    StringBuilder b = new StringBuilder();
    b.append("  __global const float* d = ").append(gradient).append(";\n");
    b.append("  const int ix = i % ").append(s.inWidth()).append(";\n");
    b.append("  const int iy = i / ").append(s.inWidth()).append(";\n");
    for (int ci = 0; ci < c; ci++) {
      for (int k = 0; k < vectors; k++) {
        b.append("  float8 a").append(ci).append('_').append(k).append(" = (float8)(0.0f);\n");
      }
    }
    b.append("  // The taps whose output, iy + pad - ky (and so for x), lies in the output.\n");
    b.append("  const int kyFrom = max(0, iy").append(plus(s.padTop() - s.outHeight() + 1)).append(");\n");
    b.append("  const int kyTo = min(").append(s.kernelHeight() - 1).append(", iy + ").append(s.padTop()).append(");\n");
    b.append("  const int kxFrom = max(0, ix").append(plus(s.padLeft() - s.outWidth() + 1)).append(");\n");
    b.append("  const int kxTo = min(").append(s.kernelWidth() - 1).append(", ix + ").append(s.padLeft()).append(");\n");
    b.append("  for (int ky = kyFrom; ky <= kyTo; ky++) {\n");
    b.append("    for (int kx = kxFrom; kx <= kxTo; kx++) {\n");
    b.append("      __global const float* ds = d + ((iy + ").append(s.padTop()).append(" - ky) * ").append(s.outWidth())
        .append(" + ix + ").append(s.padLeft()).append(" - kx) * ").append(f).append(";\n");
    b.append("      __global const float* wt = ").append(weights).append(" + (ky * ").append(s.kernelWidth())
        .append(" + kx) * ").append(c * f).append(";\n");
    for (int k = 0; k < vectors; k++) {
      b.append("      const float8 d").append(k).append(" = vload8(").append(k).append(", ds);\n");
    }
    for (int ci = 0; ci < c; ci++) {
      b.append("     ");
      for (int k = 0; k < vectors; k++) {
        b.append(" a").append(ci).append('_').append(k).append(" += d").append(k).append(" * vload8(")
            .append(ci * vectors + k).append(", wt);");
      }
      b.append('\n');
    }
    b.append("    }\n");
    b.append("  }\n");
    b.append("  __global float* dx = ").append(inputGradient).append(" + i * ").append(c).append(";\n");
    b.append(gate.declare("ys", "i * " + c));
    for (int ci = 0; ci < c; ci++) {
      StringBuilder sum = new StringBuilder("a" + ci + "_0");
      for (int k = 1; k < vectors; k++) {
        sum.append(" + a").append(ci).append('_').append(k);
      }
      b.append("  { const float8 t = ").append(sum).append("; const float4 u = t.lo + t.hi; const float2 v = u.lo + u.hi;")
          .append(" dx[").append(ci).append("] = ").append(gate.apply("ys[" + ci + "]", "v.x + v.y")).append("; }\n");
    }
    String strategy =
        "a work item per input pixel summing dot products along the " + f + " filters (" + c + " channels x "
            + vectors + " float8 accumulators)";
    return new Tiled(b.toString().replace(" + 0;", ";").replace("iy + 0 - ky", "iy - ky").replace("ix + 0 - kx", "ix - kx"),
        s.inHeight() * s.inWidth(), strategy);
  }

  /** {@code " + k"}, or {@code " - k"} for a negative {@code k}, to add to an index. */
  private static String plus(int k) {
    return k < 0 ? " - " + -k : " + " + k;
  }

  /** A kernel gradient in tiles, for {@link ClProgram#parameterGradientTiles}. */
  record GradientTiles(int items, String prelude, String perSample, BiFunction<String, String, String> store, String strategy) {}

  /**
   * The kernel gradient of a convolution as tiles of {@code rows} consecutive (kx, ci) rows of one
   * kernel row ky by a block of filters: per output pixel, each row's input value (one scalar
   * load) meets the pixel's output-gradient vectors (one load per piece, shared by the rows).
   * {@code in} and {@code gradient} are sample {@code b}'s pointer expressions.
   */
  static GradientTiles kernelGradient(Shape s, String in, String gradient) {
    int f = s.outChannels();
    int c = s.inChannels();
    int block = channelBlock(f);
    int blocks = f / block;
    List<int[]> pieces = pieces(block);
    int run = s.kernelWidth() * c;
    int rows = largestDivisorUpTo(run, Math.max(1, MOST_ACCUMULATORS / pieces.size()));
    int runs = run / rows;
    int items = s.kernelHeight() * runs * blocks;
    StringBuilder prelude = new StringBuilder();
    prelude.append("  const int co0 = (i % ").append(blocks).append(") * ").append(block).append(";\n");
    prelude.append("  const int t0 = ((i / ").append(blocks).append(") % ").append(runs).append(") * ").append(rows).append(";\n");
    prelude.append("  const int ky = i / ").append(blocks * runs).append(";\n");
    if (s.kernelHeight() > 1) {
      prelude.append("  // The output rows whose window puts kernel row ky inside the input.\n");
    }
    prelude.append(ClWindow.clip("oy", "ky", s.padTop(), s.strideHeight(), s.inHeight(), s.outHeight()));
    boolean padded = s.padsColumns();
    for (int r = 0; r < rows; r++) {
      if (padded) {
        prelude.append("  const int kx").append(r).append(" = (t0 + ").append(r).append(") / ").append(c).append(";\n");
      }
      for (int[] piece : pieces) {
        prelude.append("  ").append(type(piece[1])).append(" a").append(r).append('_').append(piece[0])
            .append(" = (").append(type(piece[1])).append(")(0.0f);\n");
      }
    }
    StringBuilder sample = new StringBuilder();
    sample.append("__global const float* in = ").append(in).append(";\n");
    sample.append("__global const float* d = ").append(gradient).append(" + co0;\n");
    sample.append("for (int oy = oyFrom; oy < oyTo; oy++) {\n");
    sample.append("  __global const float* row = in + (oy * ").append(s.strideHeight()).append(" - ")
        .append(s.padTop()).append(" + ky) * ").append(s.inWidth() * c).append(" + t0;\n");
    sample.append("  for (int ox = 0; ox < ").append(s.outWidth()).append("; ox++) {\n");
    sample.append("    __global const float* ds = d + (oy * ").append(s.outWidth()).append(" + ox) * ").append(f).append(";\n");
    appendVectors(sample, "    ", pieces, "d", "ds");
    sample.append("    const int ix = ox * ").append(s.strideWidth()).append(" - ").append(s.padLeft()).append(";\n");
    sample.append("    __global const float* xs = row + ix * ").append(c).append(";\n");
    appendMultiplyAdds(sample, "    ", pieces, "d", rows,
        r -> padded ? "(ix + kx" + r + " >= 0 && ix + kx" + r + " < " + s.inWidth() + " ? xs[" + r + "] : 0.0f)" : "xs[" + r + "]");
    sample.append("  }\n");
    sample.append("}\n");
    BiFunction<String, String, String> store =
        (pointer, factor) -> {
          StringBuilder b = new StringBuilder();
          b.append("  __global float* out = ").append(pointer).append(" + (ky * ").append(run)
              .append(" + t0) * ").append(f).append(" + co0;\n");
          for (int r = 0; r < rows; r++) {
            for (int[] piece : pieces) {
              b.append("  ").append(ClTiledConv.store(piece[1], "a" + r + "_" + piece[0] + factor,
                  "out + " + (r * f + piece[0]))).append('\n');
            }
          }
          return b.toString().replace("out + 0)", "out)");
        };
    String strategy =
        "tiles of " + rows + " kernel rows (kx, ci) by " + block + " filters (vectors of " + describe(pieces)
            + "), a work item per tile";
    return new GradientTiles(items, prelude.toString(), sample.toString(), store, strategy);
  }

  /** Loads vectors {@code <name><offset>} of the pieces from {@code pointer + offset}. */
  static void appendVectors(StringBuilder b, String indent, List<int[]> pieces, String name, String pointer) {
    for (int[] piece : pieces) {
      b.append(indent).append("const ").append(type(piece[1])).append(' ').append(name).append(piece[0]).append(" = ")
          .append(load(piece[1], pointer + " + " + piece[0])).append(";\n");
    }
  }

  /**
   * For each of {@code count} rows of the tile, its scalar {@code value} times the vectors {@code
   * <name><offset>} added into its accumulators {@code a<row>_<offset>}.
   */
  static void appendMultiplyAdds(
      StringBuilder b, String indent, List<int[]> pieces, String name, int count, IntFunction<String> value) {
    for (int j = 0; j < count; j++) {
      b.append(indent).append("{ const float v = ").append(value.apply(j)).append(";");
      for (int[] piece : pieces) {
        b.append(" a").append(j).append('_').append(piece[0]).append(" += v * ").append(name).append(piece[0]).append(";");
      }
      b.append(" }\n");
    }
  }

  static String describe(List<int[]> pieces) {
    StringBuilder s = new StringBuilder();
    for (int[] piece : pieces) {
      if (s.length() > 0) {
        s.append(" + ");
      }
      s.append(piece[1]);
    }
    return s.toString();
  }
}
