package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;

/**
 * {@link Kernels#winograd3x3}: a 3x3 convolution of stride 1 in Winograd's form (Lavin and Gray,
 * 2015). F(2x2, 3x3): each 2x2 block of outputs comes from a 4x4 block of inputs with 16
 * multiplies per input and output channel instead of 36; F(4x4, 3x3): each 4x4 block from a 6x6
 * one with 36 instead of 144 ({@link ConvolutionRules#winogradBlock} chooses). The input blocks
 * and the kernel are transformed ({@code V = Bᵀ d B}, {@code U = G g Gᵀ}), each transformed
 * position is a matrix product over the input channels ({@link VectorGemm}: blocks by input
 * channels times filters), and the products go back through {@code Y = Aᵀ M A}. 2.25 or 4 times
 * fewer multiply-adds, for the price of the transforms and of rounding: the transforms add,
 * subtract and scale values, so each output carries more ulps of error than the direct sum (the
 * tests hold it to the double-precision convolution).
 *
 * <p>The transformed blocks and the products' results are block-major ({@code v[t][p][c]}, {@code
 * m[t][p][f]}: a block's positions side by side), so each transform reads and writes a few KiB
 * instead of a stride of the whole layer per position (the products read them through their row
 * strides).
 *
 * <p>Every transform is vectorized along the channels (input channels for V, filters for U and
 * the output), so it needs whole vectors of both; {@link Kernels#winograd3x3} falls back to the
 * direct convolution otherwise. Each transform is a method of its own (see {@link Vectors}).
 */
final class VectorWinograd {
  private VectorWinograd() {}

  /** Whether this convolution has the whole vectors of channels the transforms need. */
  static boolean applies(int channels, int n) {
    return channels % L == 0 && n % L == 0;
  }

  /**
   * {@code y = b + conv3x3(x)}: output {@code rows x cols x n} at {@code y[yo..]}, input pixel
   * (r, c) of {@code channels} floats at {@code x[xo + r·rowStep + c·channels]}, every window
   * inside the input (it has {@code rows + 2} rows and {@code cols + 2} columns), weights HWIO at
   * {@code w[wo..]}, bias at {@code b[bo..]} (none with {@code bo < 0}); for each of {@code
   * count} samples, sample s's input {@code s·xStride} and its output {@code s·yStride} further
   * on. The samples' blocks are the rows of one product per position, so the transformed kernel is
   * read once for the tile.
   */
  static void convolve(
      float[] x, int xo, int xStride, int rowStep, int channels, float[] w, int wo, float[] b, int bo,
      int n, float[] y, int yo, int yStride, int rows, int cols, int count, int kernelKey) {
    int block = ConvolutionRules.winogradBlock(rows, cols);
    int positions = (block + 2) * (block + 2);
    int tileRows = (rows + block - 1) / block;
    int tileCols = (cols + block - 1) / block;
    // Rows of blocks, all samples': sample s's block (ti, tj) is block (s·tileRows + ti, tj).
    int allRows = count * tileRows;
    int tiles = allRows * tileCols;
    VectorGemm.Buffers buf = VectorGemm.buffers();
    float[] v = buf.winogradInput(positions * tiles * channels);
    float[] m = buf.c(positions * tiles * n);
    // Layers of SEEDCNN's c2's size and up share the transforms with a helper where this thread
    // may share (predict): on one thread they were two fifths of ResNet-18's first stage's time
    // while the helper waited for the products. Rows of blocks, products and rows again are
    // taken one at a time by whichever thread is free ({@link WinogradShare}), so neither waits
    // for the other's half.
    boolean shareTransforms =
        buf.shareWithHelpers && (long) positions * tiles * Math.max(channels, n) >= SHARED_TRANSFORM_FLOATS && allRows >= 2;
    WinogradShare inputShare =
        shareTransforms ? WinogradShare.offer(false, block, x, xo, xStride, rowStep, channels, v, null, 0, b, bo, y, yo, yStride, rows, cols, allRows) : null;
    // A kernel with a key (kept as twice the key: a product's B is kept under the odd ones) is
    // transformed and its products' B packed once and kept: under a hold of the weights (a tile
    // of samples) by the tile's first sample, else (predict) whenever the weights differ from
    // those it was made from. The helper transforms the input meanwhile.
    VectorGemm.HeldKernel held = null;
    int packedSize = VectorGemm.packedSize(channels, n);
    if (kernelKey >= 0) {
      held = buf.held(2 * kernelKey, channels, n, 9 * channels * n, positions * packedSize);
      if (held != null && !held.current(buf, w, wo)) {
        float[] transformed = transformKernel(w, wo, channels, n, block, buf);
        for (int p = 0; p < positions; p++) {
          VectorGemm.packWhole(transformed, p * channels * n, n, 1, n, channels, held.packed, p * packedSize);
        }
        held.madeFrom(buf, w, wo);
      }
    }
    float[] u = held == null ? transformKernel(w, wo, channels, n, block, buf) : null;
    if (inputShare != null) {
      inputShare.finish();
    } else {
      inputRows(x, xo, xStride, rowStep, channels, rows, cols, block, v, 0, allRows);
    }
    int[] rowsAt = VectorGemm.strided(buf.rows(tiles), tiles, positions * channels);
    int[] ks = VectorGemm.strided(buf.ks(channels), channels, 1);
    // The products, where this thread may share (predict), taken whole one at a time by either
    // thread: each is small (SEEDCNN's c2: 16 x 32 x 64, about 1 us), so none is split. Each
    // product is computed alike either way: the same bits.
    // B: the kept kernel, packed (product p at p·packedSize), or this call's transform (p·channels·n).
    float[] packed = held == null ? null : held.packed;
    WinogradShare productShare =
        buf.shareWithHelpers
            ? WinogradShare.offerProducts(v, channels, positions, rowsAt, tiles, ks, u, n, packed, packedSize, m)
            : null;
    if (productShare != null) {
      productShare.finish();
    } else {
      products(v, channels, positions, rowsAt, tiles, ks, u, n, packed, packedSize, m, 0, positions, buf);
    }
    WinogradShare outputShare =
        shareTransforms ? WinogradShare.offer(true, block, null, 0, 0, 0, 0, null, m, n, b, bo, y, yo, yStride, rows, cols, allRows) : null;
    if (outputShare != null) {
      outputShare.finish();
    } else {
      outputRows(m, n, b, bo, y, yo, yStride, rows, cols, block, 0, allRows);
    }
  }

  /**
   * Floats of transformed blocks ({@code positions · blocks · channels}, the larger of input and
   * output) from which the transforms are shared with a helper: ResNet-18's four stages (1,806,336,
   * 903,168, 147,456 and 131,072) and SEEDCNN's c2 (36,864). Its predict ran in 118-121 us with its
   * transforms shared against 128-133 with them on the calling thread (the median of 40 rounds of
   * 1,000 calls, the two alternating round by round in one JVM; the shared one faster in 30 and 36
   * rounds of 40). Smaller layers share only their products.
   */
  static final long SHARED_TRANSFORM_FLOATS = 1 << 14;

  /**
   * Products {@code [from, to)} of the {@code positions}: blocks by input channels (V at {@code
   * p·channels}) times the transformed kernel (kept and packed at {@code p·packedSize}, or this
   * call's at {@code p·channels·n} of {@code u}), into M at {@code p·n}.
   */
  private static void products(
      float[] v, int channels, int positions, int[] rowsAt, int tiles, int[] ks, float[] u, int n, float[] packed,
      int packedSize, float[] m, int from, int to, VectorGemm.Buffers buf) {
    for (int p = from; p < to; p++) {
      VectorGemm.product(v, p * channels, rowsAt, 0, tiles, ks, channels, u, p * channels * n, n, 1, n, packed, p * packedSize, null, -1, false, m, p * n, positions * n, buf);
    }
  }

  /**
   * V of the blocks in rows {@code [fromRow, toRow)} of blocks, all samples' ({@link
   * #transformBlock}).
   */
  private static void inputRows(
      float[] x, int xo, int xStride, int rowStep, int channels, int rows, int cols, int block, float[] v,
      int fromRow, int toRow) {
    int tileRows = (rows + block - 1) / block;
    int tileCols = (cols + block - 1) / block;
    for (int row = fromRow; row < toRow; row++) {
      int sample = row / tileRows;
      int ti = row - sample * tileRows;
      for (int tj = 0; tj < tileCols; tj++) {
        transformBlock(x, xo + sample * xStride, rowStep, channels, rows, cols, block, block * ti, block * tj, v, row * tileCols + tj);
      }
    }
  }

  /**
   * The outputs of the blocks in rows {@code [fromRow, toRow)} of blocks, all samples' ({@link
   * #transformOutput}, {@link #transformOutput4}).
   */
  private static void outputRows(
      float[] m, int n, float[] b, int bo, float[] y, int yo, int yStride, int rows, int cols, int block,
      int fromRow, int toRow) {
    int tileRows = (rows + block - 1) / block;
    int tileCols = (cols + block - 1) / block;
    int positions = (block + 2) * (block + 2);
    for (int row = fromRow; row < toRow; row++) {
      int sample = row / tileRows;
      int ti = row - sample * tileRows;
      for (int tj = 0; tj < tileCols; tj++) {
        int t = row * tileCols + tj;
        int r0 = block * ti;
        int c0 = block * tj;
        for (int f = 0; f < n; f += L) {
          int out = yo + sample * yStride + (r0 * cols + c0) * n + f;
          int biasAt = bo < 0 ? -1 : bo + f;
          if (block == 4) {
            transformOutput4(m, t * positions * n + f, n, b, biasAt, y, out, cols * n, n, Math.min(4, rows - r0), Math.min(4, cols - c0));
          } else {
            transformOutput(m, t * positions * n + f, n, b, biasAt, y, out, cols * n, n, r0 + 1 < rows, c0 + 1 < cols);
          }
        }
      }
    }
  }

  /**
   * A phase of a Winograd convolution that the caller and a helper ({@link Helpers}) compute
   * together: rows of blocks whose input or output transforms they make, or the products. Each
   * takes the next row or product from a shared counter until none is left, so a helper that
   * wakes late or runs slower takes fewer. One per helper, refilled by the caller that claims it,
   * so nothing is allocated per share. Each block and product is computed as it would be alone:
   * the same bits.
   */
  private static final class WinogradShare extends Helpers.Handoff {
    private static final Helpers.Slots<WinogradShare> SHARES = new Helpers.Slots<>(WinogradShare::new);

    private final AtomicInteger next = new AtomicInteger();
    /** What the phase computes: {@link #INPUT} or {@link #OUTPUT} transforms, or {@link #PRODUCTS}. */
    private int work;
    private float[] x, v, m, b, y, u, packed;
    private int[] rowsAt, ks;
    private int block, positions, xo, xStride, rowStep, channels, n, bo, yo, yStride, rows, cols, items,
        tiles, packedSize;

    static final int INPUT = 0;
    static final int OUTPUT = 1;
    static final int PRODUCTS = 2;

    /**
     * Starts the transforms of {@code allRows} rows of blocks on an idle helper, for the caller to
     * {@link #finish}; null where none is idle.
     */
    static WinogradShare offer(
        boolean output, int block, float[] x, int xo, int xStride, int rowStep, int channels, float[] v,
        float[] m, int n, float[] b, int bo, float[] y, int yo, int yStride, int rows, int cols, int allRows) {
      WinogradShare share = claim(output ? OUTPUT : INPUT);
      if (share == null) {
        return null;
      }
      share.block = block;
      share.x = x;
      share.xo = xo;
      share.xStride = xStride;
      share.rowStep = rowStep;
      share.channels = channels;
      share.v = v;
      share.m = m;
      share.n = n;
      share.b = b;
      share.bo = bo;
      share.y = y;
      share.yo = yo;
      share.yStride = yStride;
      share.rows = rows;
      share.cols = cols;
      return share.start(allRows);
    }

    /**
     * Starts the {@code positions} products ({@link #products}) on an idle helper, for the caller
     * to {@link #finish}; null where none is idle.
     */
    static WinogradShare offerProducts(
        float[] v, int channels, int positions, int[] rowsAt, int tiles, int[] ks, float[] u, int n,
        float[] packed, int packedSize, float[] m) {
      WinogradShare share = claim(PRODUCTS);
      if (share == null) {
        return null;
      }
      share.v = v;
      share.channels = channels;
      share.positions = positions;
      share.rowsAt = rowsAt;
      share.tiles = tiles;
      share.ks = ks;
      share.u = u;
      share.n = n;
      share.packed = packed;
      share.packedSize = packedSize;
      share.m = m;
      return share.start(positions);
    }

    /** The share of an idle helper, claimed for {@code work}; null where none is idle. */
    private static WinogradShare claim(int work) {
      WinogradShare share = SHARES.claim();
      if (share == null) {
        return null;
      }
      share.work = work;
      return share;
    }

    private WinogradShare start(int items) {
      this.items = items;
      next.set(0);
      helper.start(this); // publishes the fields above
      return this;
    }

    @Override
    public void run() {
      takeItems();
    }

    /** Rows or products, one at a time, until none is left. */
    private void takeItems() {
      for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) {
        switch (work) {
          case OUTPUT -> outputRows(m, n, b, bo, y, yo, yStride, rows, cols, block, i, i + 1);
          case INPUT -> inputRows(x, xo, xStride, rowStep, channels, rows, cols, block, v, i, i + 1);
          default -> products(v, channels, positions, rowsAt, tiles, ks, u, n, packed, packedSize, m, i, i + 1, VectorGemm.buffers());
        }
      }
    }

    /**
     * The caller's part: takes rows or products until none is left, waits for the helper's last,
     * rethrowing what it threw, and frees it.
     */
    void finish() {
      Throwable failure;
      try {
        takeItems();
      } finally {
        failure = helper.awaitKeeping();
        x = v = m = b = y = u = packed = null;
        rowsAt = ks = null;
        helper.release();
      }
      Helpers.rethrow(failure);
    }
  }

  /**
   * {@code g += ∂L/∂w} of {@link #convolve}'s convolution, given the output gradient {@code d}
   * ({@code rows x cols x n} at {@code d[dOff..]}): by linearity {@code ∂L/∂w = Gᵀ (Σ_tiles V ⊙ A δ
   * Aᵀ) G}, the input blocks transformed as the forward pass transforms them, each 2x2 block of
   * output gradients {@code δ} widened to 4x4, the sum over blocks 16 products of input channels
   * by blocks times blocks by filters, and the kernel transform's transpose at the end. 2.25 times
   * fewer multiply-adds than the direct sum over pixels.
   */
  static void weightGradient(
      float[] x, int xo, int rowStep, int channels, float[] d, int dOff, int n, int rows, int cols,
      float[] g, int go) {
    int tileRows = (rows + 1) / 2;
    int tileCols = (cols + 1) / 2;
    int tiles = tileRows * tileCols;
    VectorGemm.Buffers buf = VectorGemm.buffers();
    float[] v = buf.winogradInput(16 * tiles * channels);
    // The widened gradients are the products' B, written packed ({@link VectorGemm#packedOffset}):
    // packing them afterwards cost as much as the transform.
    int packedSize = VectorGemm.packedSize(tiles, n);
    float[] m = buf.c(16 * packedSize);
    if (n % (2 * L) != 0) {
      java.util.Arrays.fill(m, 0, 16 * packedSize, 0f); // the last panel's padding columns
    }
    float[] du = buf.winogradKernel(16 * channels * n);
    for (int ti = 0; ti < tileRows; ti++) {
      for (int tj = 0; tj < tileCols; tj++) {
        int t = ti * tileCols + tj;
        int r0 = 2 * ti;
        int c0 = 2 * tj;
        transformBlock(x, xo, rowStep, channels, rows, cols, 2, r0, c0, v, t);
        for (int f = 0; f < n; f += L) {
          transformOutputGradient(d, dOff + (r0 * cols + c0) * n + f, cols * n, n, r0 + 1 < rows, c0 + 1 < cols, m, VectorGemm.packedOffset(t, f, tiles, n), packedSize);
        }
      }
    }
    // Product p: channels (contiguous rows of Vᵀ) by blocks, times blocks by filters. V and dU
    // keep a block's (a channel's) 16 positions together, so that each transform reads and
    // writes within a few KiB rather than 16 strides of the whole layer.
    int[] channelAt = VectorGemm.strided(buf.rows(channels), channels, 1);
    int[] tileAt = VectorGemm.strided(buf.ks(tiles), tiles, 16 * channels);
    for (int p = 0; p < 16; p++) {
      VectorGemm.productPacked(v, p * channels, channelAt, 0, channels, tileAt, tiles, m, p * packedSize, n, null, -1, false, du, p * n, 16 * n, buf);
    }
    for (int ci = 0; ci < channels; ci++) {
      for (int f = 0; f < n; f += L) {
        transposedKernelTransform(du, ci * 16 * n + f, n, g, go + ci * n + f, channels * n);
      }
    }
  }

  /**
   * {@code V = Bᵀ d B} for every vector of channels of the input block of output block {@code
   * block} (2 or 4) at ({@code r0}, {@code c0}) (its missing rows and columns past the input read
   * as zeros), block {@code t} of {@code v}: its positions side by side.
   */
  private static void transformBlock(
      float[] x, int xo, int rowStep, int channels, int rows, int cols, int block, int r0, int c0, float[] v, int t) {
    int inRows = rows + 2;
    int inCols = cols + 2;
    int side = block + 2;
    boolean inside = r0 + side <= inRows && c0 + side <= inCols;
    for (int ci = 0; ci < channels; ci += L) {
      int at = xo + r0 * rowStep + c0 * channels + ci;
      int vo = t * side * side * channels + ci;
      if (block == 4) {
        transformInput4(x, at, rowStep, channels, Math.min(6, inRows - r0), Math.min(6, inCols - c0), v, vo, channels);
      } else if (inside) {
        transformInput(x, at, rowStep, channels, v, vo, channels);
      } else {
        transformEdgeInput(x, at, rowStep, channels, inRows - r0, inCols - c0, v, vo, channels);
      }
    }
  }

  /**
   * {@code A δ Aᵀ} for one vector of filters of one 2x2 block of output gradients ({@code δ}'s
   * second row and column zero where the output has none), its 16 positions {@code step} apart
   * from {@code m[mo]}.
   */
  private static void transformOutputGradient(
      float[] d, int at, int rowStep, int pixel, boolean secondRow, boolean secondCol, float[] m, int mo, int step) {
    FloatVector zero = FloatVector.zero(S);
    FloatVector d00 = FloatVector.fromArray(S, d, at);
    FloatVector d01 = secondCol ? FloatVector.fromArray(S, d, at + pixel) : zero;
    FloatVector d10 = secondRow ? FloatVector.fromArray(S, d, at + rowStep) : zero;
    FloatVector d11 = secondRow && secondCol ? FloatVector.fromArray(S, d, at + rowStep + pixel) : zero;
    // Rows: e0 = δ0, e1 = δ0 + δ1, e2 = δ0 - δ1, e3 = -δ1; then the same on columns.
    gradientRow(d00, d01, m, mo, step);
    gradientRow(d00.add(d10), d01.add(d11), m, mo + 4 * step, step);
    gradientRow(d00.sub(d10), d01.sub(d11), m, mo + 8 * step, step);
    gradientRow(d10.neg(), d11.neg(), m, mo + 12 * step, step);
  }

  private static void gradientRow(FloatVector a, FloatVector b, float[] m, int mo, int step) {
    a.intoArray(m, mo);
    a.add(b).intoArray(m, mo + step);
    a.sub(b).intoArray(m, mo + 2 * step);
    b.neg().intoArray(m, mo + 3 * step);
  }

  /**
   * {@code g += Gᵀ dU G} for one vector of filters: dU's 16 positions {@code step} apart from
   * {@code du[uo]}, the 3x3 taps {@code tapStep} apart from {@code g[go]}.
   */
  private static void transposedKernelTransform(float[] du, int uo, int step, float[] g, int go, int tapStep) {
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector u00 = FloatVector.fromArray(S, du, uo);
    FloatVector u01 = FloatVector.fromArray(S, du, uo + step);
    FloatVector u02 = FloatVector.fromArray(S, du, uo + 2 * step);
    FloatVector u03 = FloatVector.fromArray(S, du, uo + 3 * step);
    FloatVector u10 = FloatVector.fromArray(S, du, uo + 4 * step);
    FloatVector u11 = FloatVector.fromArray(S, du, uo + 5 * step);
    FloatVector u12 = FloatVector.fromArray(S, du, uo + 6 * step);
    FloatVector u13 = FloatVector.fromArray(S, du, uo + 7 * step);
    FloatVector u20 = FloatVector.fromArray(S, du, uo + 8 * step);
    FloatVector u21 = FloatVector.fromArray(S, du, uo + 9 * step);
    FloatVector u22 = FloatVector.fromArray(S, du, uo + 10 * step);
    FloatVector u23 = FloatVector.fromArray(S, du, uo + 11 * step);
    FloatVector u30 = FloatVector.fromArray(S, du, uo + 12 * step);
    FloatVector u31 = FloatVector.fromArray(S, du, uo + 13 * step);
    FloatVector u32 = FloatVector.fromArray(S, du, uo + 14 * step);
    FloatVector u33 = FloatVector.fromArray(S, du, uo + 15 * step);
    // Rows: h0 = u0 + (u1 + u2)/2, h1 = (u1 - u2)/2, h2 = (u1 + u2)/2 + u3; then the same along
    // each row, added to its three taps.
    FloatVector s0 = u10.add(u20).mul(half);
    FloatVector s1 = u11.add(u21).mul(half);
    FloatVector s2 = u12.add(u22).mul(half);
    FloatVector s3 = u13.add(u23).mul(half);
    gradientTaps(u00.add(s0), u01.add(s1), u02.add(s2), u03.add(s3), half, g, go, tapStep);
    gradientTaps(u10.sub(u20).mul(half), u11.sub(u21).mul(half), u12.sub(u22).mul(half),
        u13.sub(u23).mul(half), half, g, go + 3 * tapStep, tapStep);
    gradientTaps(s0.add(u30), s1.add(u31), s2.add(u32), s3.add(u33), half, g, go + 6 * tapStep, tapStep);
  }

  // A helper taking vectors: inlined (it is small), so its vectors are never boxed.
  private static void gradientTaps(
      FloatVector h0, FloatVector h1, FloatVector h2, FloatVector h3, FloatVector half, float[] g,
      int tap, int tapStep) {
    FloatVector s = h1.add(h2).mul(half);
    FloatVector.fromArray(S, g, tap).add(h0.add(s)).intoArray(g, tap);
    FloatVector.fromArray(S, g, tap + tapStep).add(h1.sub(h2).mul(half)).intoArray(g, tap + tapStep);
    FloatVector.fromArray(S, g, tap + 2 * tapStep).add(s.add(h3)).intoArray(g, tap + 2 * tapStep);
  }

  /**
   * {@code U = G g Gᵀ} of output block {@code block} (2 or 4) for every input channel and filter,
   * into the buffers: position p at {@code p·channels·n}.
   */
  private static float[] transformKernel(float[] w, int wo, int channels, int n, int block, VectorGemm.Buffers buf) {
    float[] u = buf.winogradKernel((block + 2) * (block + 2) * channels * n);
    for (int ci = 0; ci < channels; ci++) {
      for (int f = 0; f < n; f += L) {
        if (block == 4) {
          transformKernel4(w, wo + ci * n + f, channels * n, u, ci * n + f, channels * n);
        } else {
          transformKernel(w, wo + ci * n + f, channels * n, u, ci * n + f, channels * n);
        }
      }
    }
    return u;
  }

  /**
   * {@code U = G g Gᵀ} for one vector of filters: {@code g} the 3x3 taps {@code tapStep} apart
   * from {@code w[wo]}, {@code U}'s 16 positions {@code step} apart from {@code u[uo]}.
   */
  private static void transformKernel(float[] w, int wo, int tapStep, float[] u, int uo, int step) {
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector g00 = FloatVector.fromArray(S, w, wo);
    FloatVector g01 = FloatVector.fromArray(S, w, wo + tapStep);
    FloatVector g02 = FloatVector.fromArray(S, w, wo + 2 * tapStep);
    FloatVector g10 = FloatVector.fromArray(S, w, wo + 3 * tapStep);
    FloatVector g11 = FloatVector.fromArray(S, w, wo + 4 * tapStep);
    FloatVector g12 = FloatVector.fromArray(S, w, wo + 5 * tapStep);
    FloatVector g20 = FloatVector.fromArray(S, w, wo + 6 * tapStep);
    FloatVector g21 = FloatVector.fromArray(S, w, wo + 7 * tapStep);
    FloatVector g22 = FloatVector.fromArray(S, w, wo + 8 * tapStep);
    // Rows: h0 = g0, h1 = (g0 + g1 + g2) / 2, h2 = (g0 - g1 + g2) / 2, h3 = g2.
    FloatVector s0 = g00.add(g20);
    FloatVector s1 = g01.add(g21);
    FloatVector s2 = g02.add(g22);
    FloatVector h10 = s0.add(g10).mul(half);
    FloatVector h11 = s1.add(g11).mul(half);
    FloatVector h12 = s2.add(g12).mul(half);
    FloatVector h20 = s0.sub(g10).mul(half);
    FloatVector h21 = s1.sub(g11).mul(half);
    FloatVector h22 = s2.sub(g12).mul(half);
    // Columns, the same for each row.
    kernelRow(g00, g01, g02, half, u, uo, step);
    kernelRow(h10, h11, h12, half, u, uo + 4 * step, step);
    kernelRow(h20, h21, h22, half, u, uo + 8 * step, step);
    kernelRow(g20, g21, g22, half, u, uo + 12 * step, step);
  }

  // A helper taking vectors: inlined (it is small), so its vectors are never boxed.
  private static void kernelRow(
      FloatVector a, FloatVector b, FloatVector c, FloatVector half, float[] u, int uo, int step) {
    FloatVector s = a.add(c);
    a.intoArray(u, uo);
    s.add(b).mul(half).intoArray(u, uo + step);
    s.sub(b).mul(half).intoArray(u, uo + 2 * step);
    c.intoArray(u, uo + 3 * step);
  }

  /** {@code V = Bᵀ d B} for one vector of channels of one 4x4 input block inside the input. */
  private static void transformInput(
      float[] x, int at, int rowStep, int pixel, float[] v, int vo, int step) {
    FloatVector d00 = FloatVector.fromArray(S, x, at);
    FloatVector d01 = FloatVector.fromArray(S, x, at + pixel);
    FloatVector d02 = FloatVector.fromArray(S, x, at + 2 * pixel);
    FloatVector d03 = FloatVector.fromArray(S, x, at + 3 * pixel);
    FloatVector d10 = FloatVector.fromArray(S, x, at + rowStep);
    FloatVector d11 = FloatVector.fromArray(S, x, at + rowStep + pixel);
    FloatVector d12 = FloatVector.fromArray(S, x, at + rowStep + 2 * pixel);
    FloatVector d13 = FloatVector.fromArray(S, x, at + rowStep + 3 * pixel);
    FloatVector d20 = FloatVector.fromArray(S, x, at + 2 * rowStep);
    FloatVector d21 = FloatVector.fromArray(S, x, at + 2 * rowStep + pixel);
    FloatVector d22 = FloatVector.fromArray(S, x, at + 2 * rowStep + 2 * pixel);
    FloatVector d23 = FloatVector.fromArray(S, x, at + 2 * rowStep + 3 * pixel);
    FloatVector d30 = FloatVector.fromArray(S, x, at + 3 * rowStep);
    FloatVector d31 = FloatVector.fromArray(S, x, at + 3 * rowStep + pixel);
    FloatVector d32 = FloatVector.fromArray(S, x, at + 3 * rowStep + 2 * pixel);
    FloatVector d33 = FloatVector.fromArray(S, x, at + 3 * rowStep + 3 * pixel);
    // Rows: e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3; then the same on columns.
    inputRow(d00.sub(d20), d01.sub(d21), d02.sub(d22), d03.sub(d23), v, vo, step);
    inputRow(d10.add(d20), d11.add(d21), d12.add(d22), d13.add(d23), v, vo + 4 * step, step);
    inputRow(d20.sub(d10), d21.sub(d11), d22.sub(d12), d23.sub(d13), v, vo + 8 * step, step);
    inputRow(d10.sub(d30), d11.sub(d31), d12.sub(d32), d13.sub(d33), v, vo + 12 * step, step);
  }

  private static void inputRow(
      FloatVector e0, FloatVector e1, FloatVector e2, FloatVector e3, float[] v, int vo, int step) {
    e0.sub(e2).intoArray(v, vo);
    e1.add(e2).intoArray(v, vo + step);
    e2.sub(e1).intoArray(v, vo + 2 * step);
    e1.sub(e3).intoArray(v, vo + 3 * step);
  }

  /**
   * {@link #transformInput} for a block that runs past the input's last rows or columns (odd
   * output sizes): the missing inputs read as zeros.
   */
  private static void transformEdgeInput(
      float[] x, int at, int rowStep, int pixel, int rowsLeft, int colsLeft, float[] v, int vo, int step) {
    FloatVector d00 = load(x, at, 0, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d01 = load(x, at, 0, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d02 = load(x, at, 0, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d03 = load(x, at, 0, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d10 = load(x, at, 1, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d11 = load(x, at, 1, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d12 = load(x, at, 1, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d13 = load(x, at, 1, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d20 = load(x, at, 2, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d21 = load(x, at, 2, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d22 = load(x, at, 2, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d23 = load(x, at, 2, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d30 = load(x, at, 3, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d31 = load(x, at, 3, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d32 = load(x, at, 3, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d33 = load(x, at, 3, 3, rowStep, pixel, rowsLeft, colsLeft);
    inputRow(d00.sub(d20), d01.sub(d21), d02.sub(d22), d03.sub(d23), v, vo, step);
    inputRow(d10.add(d20), d11.add(d21), d12.add(d22), d13.add(d23), v, vo + 4 * step, step);
    inputRow(d20.sub(d10), d21.sub(d11), d22.sub(d12), d23.sub(d13), v, vo + 8 * step, step);
    inputRow(d10.sub(d30), d11.sub(d31), d12.sub(d32), d13.sub(d33), v, vo + 12 * step, step);
  }

  private static FloatVector load(
      float[] x, int at, int r, int c, int rowStep, int pixel, int rowsLeft, int colsLeft) {
    return r < rowsLeft && c < colsLeft
        ? FloatVector.fromArray(S, x, at + r * rowStep + c * pixel)
        : FloatVector.zero(S);
  }

  /**
   * {@code Y = Aᵀ M A} plus the bias for one vector of filters of one 2x2 output block: M's 16
   * positions {@code step} apart from {@code m[mo]}, the outputs {@code rowStep} apart from {@code
   * y[yo]}, the second row and column only where the output has them.
   */
  private static void transformOutput(
      float[] m, int mo, int step, float[] b, int bo, float[] y, int yo, int rowStep, int pixel,
      boolean secondRow, boolean secondCol) {
    FloatVector m00 = FloatVector.fromArray(S, m, mo);
    FloatVector m01 = FloatVector.fromArray(S, m, mo + step);
    FloatVector m02 = FloatVector.fromArray(S, m, mo + 2 * step);
    FloatVector m03 = FloatVector.fromArray(S, m, mo + 3 * step);
    FloatVector m10 = FloatVector.fromArray(S, m, mo + 4 * step);
    FloatVector m11 = FloatVector.fromArray(S, m, mo + 5 * step);
    FloatVector m12 = FloatVector.fromArray(S, m, mo + 6 * step);
    FloatVector m13 = FloatVector.fromArray(S, m, mo + 7 * step);
    FloatVector m20 = FloatVector.fromArray(S, m, mo + 8 * step);
    FloatVector m21 = FloatVector.fromArray(S, m, mo + 9 * step);
    FloatVector m22 = FloatVector.fromArray(S, m, mo + 10 * step);
    FloatVector m23 = FloatVector.fromArray(S, m, mo + 11 * step);
    FloatVector m30 = FloatVector.fromArray(S, m, mo + 12 * step);
    FloatVector m31 = FloatVector.fromArray(S, m, mo + 13 * step);
    FloatVector m32 = FloatVector.fromArray(S, m, mo + 14 * step);
    FloatVector m33 = FloatVector.fromArray(S, m, mo + 15 * step);
    // Rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3; then the same on columns.
    FloatVector s00 = m00.add(m10).add(m20);
    FloatVector s01 = m01.add(m11).add(m21);
    FloatVector s02 = m02.add(m12).add(m22);
    FloatVector s03 = m03.add(m13).add(m23);
    FloatVector s10 = m10.sub(m20).sub(m30);
    FloatVector s11 = m11.sub(m21).sub(m31);
    FloatVector s12 = m12.sub(m22).sub(m32);
    FloatVector s13 = m13.sub(m23).sub(m33);
    FloatVector bias = bo >= 0 ? FloatVector.fromArray(S, b, bo) : FloatVector.zero(S);
    s00.add(s01).add(s02).add(bias).intoArray(y, yo);
    if (secondCol) {
      s01.sub(s02).sub(s03).add(bias).intoArray(y, yo + pixel);
    }
    if (secondRow) {
      s10.add(s11).add(s12).add(bias).intoArray(y, yo + rowStep);
      if (secondCol) {
        s11.sub(s12).sub(s13).add(bias).intoArray(y, yo + rowStep + pixel);
      }
    }
  }

  // F(4x4, 3x3): each 4x4 block of outputs from a 6x6 block of inputs, 36 multiplies per input
  // and output channel instead of 144 (Lavin and Gray's interpolation points 0, 1, -1, 2, -2 and
  // infinity). Each 2D transform is its 1D transform on the block's columns, then on its rows, in
  // place in the destination: 36 vectors in registers at once would spill. The 1D transforms take
  // arrays, not vectors: called from several places they may not be inlined, and vectors passed
  // to a method that is not are boxed.

  /**
   * {@code V = Bᵀ d B} of F(4x4, 3x3) for one vector of channels of the 6x6 input block at {@code
   * x[at]} (pixels {@code pixel}, rows {@code rowStep} apart; those at or past {@code rowsLeft}
   * rows and {@code colsLeft} columns read as zeros), its 36 positions {@code step} apart from
   * {@code v[vo]}.
   */
  private static void transformInput4(
      float[] x, int at, int rowStep, int pixel, int rowsLeft, int colsLeft, float[] v, int vo, int step) {
    if (rowsLeft < 6 || colsLeft < 6) {
      // The block runs past the input: its part inside copied into a zeroed 6x6 block first.
      float[] edge = VectorGemm.buffers().winogradEdge(36 * L);
      java.util.Arrays.fill(edge, 0, 36 * L, 0f);
      for (int r = 0; r < rowsLeft; r++) {
        for (int c = 0; c < colsLeft; c++) {
          FloatVector.fromArray(S, x, at + r * rowStep + c * pixel).intoArray(edge, (r * 6 + c) * L);
        }
      }
      transformInput4(edge, 0, 6 * L, L, 6, 6, v, vo, step);
      return;
    }
    for (int j = 0; j < 6; j++) {
      inputLine4(x, at + j * pixel, rowStep, v, vo + j * step, 6 * step);
    }
    for (int i = 0; i < 6; i++) {
      inputLine4(v, vo + 6 * i * step, step, v, vo + 6 * i * step, step);
    }
  }

  /**
   * {@code Bᵀ d} of F(4x4, 3x3) for six vectors {@code inStep} apart from {@code in[io]}, into
   * {@code out} {@code step} apart from {@code o} (which may be where they were read): 4d0 - 5d2
   * + d4, (d4 - 4d2) ± (d3 - 4d1), (d4 - d2) ± 2(d3 - d1), 4d1 - 5d3 + d5.
   */
  private static void inputLine4(float[] in, int io, int inStep, float[] out, int o, int step) {
    FloatVector d0 = FloatVector.fromArray(S, in, io);
    FloatVector d1 = FloatVector.fromArray(S, in, io + inStep);
    FloatVector d2 = FloatVector.fromArray(S, in, io + 2 * inStep);
    FloatVector d3 = FloatVector.fromArray(S, in, io + 3 * inStep);
    FloatVector d4 = FloatVector.fromArray(S, in, io + 4 * inStep);
    FloatVector d5 = FloatVector.fromArray(S, in, io + 5 * inStep);
    FloatVector a = d2.fma(FloatVector.broadcast(S, -4f), d4);
    FloatVector b = d1.fma(FloatVector.broadcast(S, -4f), d3);
    FloatVector c = d4.sub(d2);
    FloatVector e = d3.sub(d1).mul(2f);
    d0.fma(FloatVector.broadcast(S, 4f), d2.fma(FloatVector.broadcast(S, -5f), d4)).intoArray(out, o);
    a.add(b).intoArray(out, o + step);
    a.sub(b).intoArray(out, o + 2 * step);
    c.add(e).intoArray(out, o + 3 * step);
    c.sub(e).intoArray(out, o + 4 * step);
    d1.fma(FloatVector.broadcast(S, 4f), d3.fma(FloatVector.broadcast(S, -5f), d5)).intoArray(out, o + 5 * step);
  }

  /**
   * {@code Y = Aᵀ M A} of F(4x4, 3x3) plus the bias for one vector of filters of one 4x4 output
   * block: M's 36 positions {@code step} apart from {@code m[mo]} (overwritten: the columns'
   * transform is kept in place), the outputs {@code rowStep} apart from {@code y[yo]}, only the
   * first {@code rowsOut} rows and {@code colsOut} columns where the output ends inside the block.
   */
  private static void transformOutput4(
      float[] m, int mo, int step, float[] b, int bo, float[] y, int yo, int rowStep, int pixel,
      int rowsOut, int colsOut) {
    for (int j = 0; j < 6; j++) {
      outputLine4(m, mo + j * step, 6 * step, null, -1, m, mo + j * step, 6 * step, 4);
    }
    for (int i = 0; i < rowsOut; i++) {
      outputLine4(m, mo + 6 * i * step, step, b, bo, y, yo + i * rowStep, pixel, colsOut);
    }
  }

  /**
   * {@code Aᵀ m} of F(4x4, 3x3) for six vectors {@code inStep} apart from {@code in[io]}, plus the
   * bias at {@code b[bo]} (none with {@code bo < 0}), its first {@code count} results into {@code
   * out} {@code step} apart from {@code o}: m0 + (m1 + m2) + (m3 + m4), (m1 - m2) + 2(m3 - m4),
   * (m1 + m2) + 4(m3 + m4), (m1 - m2) + 8(m3 - m4) + m5.
   */
  private static void outputLine4(
      float[] in, int io, int inStep, float[] b, int bo, float[] out, int o, int step, int count) {
    FloatVector m0 = FloatVector.fromArray(S, in, io);
    FloatVector m1 = FloatVector.fromArray(S, in, io + inStep);
    FloatVector m2 = FloatVector.fromArray(S, in, io + 2 * inStep);
    FloatVector m3 = FloatVector.fromArray(S, in, io + 3 * inStep);
    FloatVector m4 = FloatVector.fromArray(S, in, io + 4 * inStep);
    FloatVector m5 = FloatVector.fromArray(S, in, io + 5 * inStep);
    FloatVector bias = bo >= 0 ? FloatVector.fromArray(S, b, bo) : FloatVector.zero(S);
    FloatVector s12 = m1.add(m2);
    FloatVector d12 = m1.sub(m2);
    FloatVector s34 = m3.add(m4);
    FloatVector d34 = m3.sub(m4);
    m0.add(s12).add(s34).add(bias).intoArray(out, o);
    if (count > 1) {
      d34.fma(FloatVector.broadcast(S, 2f), d12).add(bias).intoArray(out, o + step);
    }
    if (count > 2) {
      s34.fma(FloatVector.broadcast(S, 4f), s12).add(bias).intoArray(out, o + 2 * step);
    }
    if (count > 3) {
      d34.fma(FloatVector.broadcast(S, 8f), d12).add(m5).add(bias).intoArray(out, o + 3 * step);
    }
  }

  /**
   * {@code U = G g Gᵀ} of F(4x4, 3x3) for one vector of filters: {@code g} the 3x3 taps {@code
   * tapStep} apart from {@code w[wo]}, {@code U}'s 36 positions {@code step} apart from {@code
   * u[uo]}.
   */
  private static void transformKernel4(float[] w, int wo, int tapStep, float[] u, int uo, int step) {
    for (int j = 0; j < 3; j++) {
      kernelLine4(w, wo + j * tapStep, 3 * tapStep, u, uo + j * step, 6 * step);
    }
    for (int i = 0; i < 6; i++) {
      kernelLine4(u, uo + 6 * i * step, step, u, uo + 6 * i * step, step);
    }
  }

  /**
   * {@code G g} of F(4x4, 3x3) for three vectors {@code inStep} apart from {@code in[io]}, into
   * {@code out} {@code step} apart from {@code o} (which may be where they were read): g0/4, -(g0
   * + g1 + g2)/6, -(g0 - g1 + g2)/6, (g0/24 + g2/6) ± g1/12, g2.
   */
  private static void kernelLine4(float[] in, int io, int inStep, float[] out, int o, int step) {
    FloatVector g0 = FloatVector.fromArray(S, in, io);
    FloatVector g1 = FloatVector.fromArray(S, in, io + inStep);
    FloatVector g2 = FloatVector.fromArray(S, in, io + 2 * inStep);
    FloatVector s = g0.add(g2);
    FloatVector p = g0.mul(1f / 24).add(g2.mul(1f / 6));
    FloatVector q = g1.mul(1f / 12);
    g0.mul(0.25f).intoArray(out, o);
    s.add(g1).mul(-1f / 6).intoArray(out, o + step);
    s.sub(g1).mul(-1f / 6).intoArray(out, o + 2 * step);
    p.add(q).intoArray(out, o + 3 * step);
    p.sub(q).intoArray(out, o + 4 * step);
    g2.intoArray(out, o + 5 * step);
  }
}
