package dev.kiln.processor.emit.opencl;

import java.util.ArrayList;
import java.util.List;
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

  /** Accumulators a tile may hold: AVX2 has 16 vector registers, the weights need some. */
  static final int MOST_ACCUMULATORS = 12;

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
    return ClConv.largestDivisorUpTo(channels, 16);
  }

  /** Output pixels per work item: the largest divisor of the row that keeps the accumulators in registers. */
  static int pixelBlock(int outWidth, int pieces) {
    return ClConv.largestDivisorUpTo(outWidth, Math.max(1, MOST_ACCUMULATORS / pieces));
  }

  static String type(int lanes) {
    return lanes == 1 ? "float" : "float" + lanes;
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
    int block = channelBlock(s.outChannels());
    int blocks = s.outChannels() / block;
    List<int[]> pieces = pieces(block);
    int pixels = pixelBlock(s.outWidth(), pieces.size());
    int segments = s.outWidth() / pixels;
    int items = s.outHeight() * segments * blocks;
    int f = s.outChannels();
    int c = s.inChannels();
    StringBuilder b = new StringBuilder();
    b.append("  __global const float* in = ").append(in).append(";\n");
    b.append("  const int co0 = (i % ").append(blocks).append(") * ").append(block).append(";\n");
    b.append("  const int ox0 = ((i / ").append(blocks).append(") % ").append(segments).append(") * ")
        .append(pixels).append(";\n");
    b.append("  const int oy = i / ").append(blocks * segments).append(";\n");
    for (int[] piece : pieces) {
      String start =
          bias == null ? "(" + type(piece[1]) + ")(0.0f)" : load(piece[1], bias + " + co0 + " + piece[0]);
      b.append("  const ").append(type(piece[1])).append(" b").append(piece[0]).append(" = ").append(start).append(";\n");
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
      appendMultiplyAdds(b, "      ", pieces, pixels, j -> "xs[t + " + j * s.strideWidth() * c + "]");
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
      appendMultiplyAdds(b, "        ", pieces, pixels, j -> "(in" + j + " ? row[x" + j + " * " + c + " + ci] : 0.0f)");
      b.append("      }\n");
      b.append("    }\n");
    }
    b.append("  }\n");
    b.append("  __global float* y = ").append(out).append(" + (oy * ").append(s.outWidth())
        .append(" + ox0) * ").append(f).append(" + co0;\n");
    for (int j = 0; j < pixels; j++) {
      for (int[] piece : pieces) {
        b.append("  ").append(store(piece[1], activation.apply("a" + j + "_" + piece[0]),
            "y + " + (j * f + piece[0]))).append('\n');
      }
    }
    String strategy =
        "register tiles of " + pixels + " output pixel" + (pixels == 1 ? "" : "s") + " by " + block
            + " channels (vectors of " + describe(pieces) + "), a work item per tile";
    return new Tiled(b.toString().replace(" + 0]", "]").replace(" + 0)", ")"), items, strategy);
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
    int rows = ClConv.largestDivisorUpTo(run, Math.max(1, MOST_ACCUMULATORS / pieces.size()));
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
    for (int[] piece : pieces) {
      sample.append("    const ").append(type(piece[1])).append(" d").append(piece[0]).append(" = ")
          .append(load(piece[1], "ds + " + piece[0])).append(";\n");
    }
    sample.append("    const int ix = ox * ").append(s.strideWidth()).append(" - ").append(s.padLeft()).append(";\n");
    sample.append("    __global const float* xs = row + ix * ").append(c).append(";\n");
    for (int r = 0; r < rows; r++) {
      String value = "xs[" + r + "]";
      if (padded) {
        value = "(ix + kx" + r + " >= 0 && ix + kx" + r + " < " + s.inWidth() + " ? xs[" + r + "] : 0.0f)";
      }
      sample.append("    { const float v = ").append(value).append(";");
      for (int[] piece : pieces) {
        sample.append(" a").append(r).append('_').append(piece[0]).append(" += v * d").append(piece[0]).append(";");
      }
      sample.append(" }\n");
    }
    sample.append("  }\n");
    sample.append("}\n");
    int rowsFinal = rows;
    BiFunction<String, String, String> store =
        (pointer, factor) -> {
          StringBuilder b = new StringBuilder();
          b.append("  __global float* out = ").append(pointer).append(" + (ky * ").append(run)
              .append(" + t0) * ").append(f).append(" + co0;\n");
          for (int r = 0; r < rowsFinal; r++) {
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

  private static void appendMultiplyAdds(
      StringBuilder b, String indent, List<int[]> pieces, int pixels, IntFunction<String> value) {
    for (int[] piece : pieces) {
      b.append(indent).append("const ").append(type(piece[1])).append(" w").append(piece[0]).append(" = ")
          .append(load(piece[1], "wt + " + piece[0])).append(";\n");
    }
    for (int j = 0; j < pixels; j++) {
      b.append(indent).append("{ const float v = ").append(value.apply(j)).append(";");
      for (int[] piece : pieces) {
        b.append(" a").append(j).append('_').append(piece[0]).append(" += v * w").append(piece[0]).append(";");
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
