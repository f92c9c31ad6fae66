package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;

/**
 * A matrix product over packed panels, the way BLAS libraries compute one:
 * {@code C[m][j] = init(m, j) + Σ_k A[m][k] · B[k][j]}, where A is read through index tables
 * (so a convolution's windows, or a weight gradient's pixels, are A's rows without an im2col copy
 * of the whole input), B through two strides, and C is row-major.
 *
 * <p>Why packing: the direct blocks ({@link VectorConvolution}) read six input pixels through six
 * offsets and the weights with a stride, and C2 compiles that loop to about half of the FMA rate
 * (SEEDCNN's {@code c2}: 37 GFLOP/s on one AVX2 core). Copied into panels, six rows of A
 * interleaved ({@code a[k·6 + i]}) and two vectors of B's columns contiguous ({@code b[k·2L +
 * l]}), the same 6x2 block reads one stream of each, and with its loop over k unrolled by two it
 * runs at 85-90 GFLOP/s, the core's FMA peak (measured on the same core in one JVM; without the
 * unrolling, 39). Packing costs one copy of a block of A per column panel sweep and one copy of B
 * per chunk of k.
 *
 * <p>Blocking: k in chunks of at most {@link #KC} (a chunk of B's panel, 2L columns, stays in L1
 * while every row block passes it), rows in groups of {@link #MC} (a group's packed A stays in
 * L2 while every column panel passes it). Sums have a fixed order: each C element sums a chunk's
 * products in increasing k from zero and then adds that to its value so far (the initial value
 * for the first chunk), so the bits depend on the shapes and {@link #KC} only, never on the thread
 * or the JIT.
 *
 * <p>The block is 6 rows by 2 vectors: 12 accumulators, 2 weight vectors and a broadcast fill
 * x86's 16 AVX2 registers; with AVX-512's 32 it leaves room, and stays the one kernel to compile.
 */
final class VectorGemm {
  /** Rows per register block. */
  static final int MR = ConvolutionRules.BLOCK_ROWS;

  /** The first {@link #MR} lanes. */
  private static final jdk.incubator.vector.VectorMask<Float> SIX = S.indexInRange(0, MR);

  /** Most values of k per chunk. */
  static final int KC = 384;

  /** Rows per group whose packed A is reused by every column panel (a multiple of {@link #MR}). */
  static final int MC = 96;

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  private VectorGemm() {}

  /** Per-thread packing buffers, grown on demand and then reused (no allocation once warm). */
  static final class Buffers {
    float[] a = new float[0];
    float[] b = new float[0];
    float[] edge = new float[MR * 2 * L];
    int[] rows = new int[0];
    int[] taps = new int[0];
    int[] ks = new int[0];
    /** Whether this thread's large products may take a helper thread ({@link Kernels#shareWithHelpers}). */
    boolean shareWithHelpers;

    float[] c = new float[0];
    float[] winogradInput = new float[0];
    float[] winogradKernel = new float[0];
    float[] winogradEdge = new float[0];

    /** Whether the parameters stay as they are until released ({@link Kernels#holdWeights}). */
    boolean weightsHeld;
    /** Counts the holds: what was derived from the weights under an earlier one is stale. */
    int hold;
    /** Holds not yet released: they nest ({@link Kernels#holdWeights}). */
    int holdDepth;
    private HeldKernel[] held = new HeldKernel[0];

    /** Floats this thread's kept kernels hold, their copies of the weights included. */
    private long heldFloats;

    /**
     * The kernel kept under {@code key}: {@code weights} floats of weights of shape {@code (a, b)}
     * (a Winograd kernel's channels and filters, a product's k and n), made into {@code size}
     * floats; null where keeping it would take this thread past {@link #HELD_FLOATS} (the caller
     * then makes the kernel itself, every call). A key met again with another shape (another
     * network's) starts afresh.
     */
    HeldKernel held(int key, int a, int b, int weights, int size) {
      for (HeldKernel kernel : held) {
        if (kernel.key == key) {
          if (kernel.a != a || kernel.b != b || kernel.packed.length != size || kernel.source.length != weights) {
            heldFloats += size + weights - kernel.packed.length - kernel.source.length;
            kernel.a = a;
            kernel.b = b;
            kernel.packed = new float[size];
            kernel.source = new float[weights];
            kernel.made = false;
          }
          return kernel;
        }
      }
      if (heldFloats + size + weights > HELD_FLOATS) {
        return null;
      }
      HeldKernel kernel = new HeldKernel(key, a, b, weights, size);
      heldFloats += size + weights;
      held = java.util.Arrays.copyOf(held, held.length + 1);
      held[held.length - 1] = kernel;
      return kernel;
    }

    /** Winograd's transformed input blocks ({@link VectorWinograd}). */
    float[] winogradInput(int size) {
      return winogradInput = atLeast(winogradInput, size);
    }

    /** Winograd's transformed kernel. */
    float[] winogradKernel(int size) {
      return winogradKernel = atLeast(winogradKernel, size);
    }

    /** An input block of Winograd's that runs past the input, zero-padded. */
    float[] winogradEdge(int size) {
      return winogradEdge = atLeast(winogradEdge, size);
    }

    /** A product's result before it is copied out (a tile's samples apart, Winograd's positions). */
    float[] c(int size) {
      return c = atLeast(c, size);
    }

    /** A planar convolution's tap offsets ({@link VectorPlanar}). */
    int[] taps(int size) {
      if (taps.length < size) {
        taps = new int[size];
      }
      return taps;
    }

    int[] rows(int size) {
      if (rows.length < size) {
        rows = new int[size];
      }
      return rows;
    }

    int[] ks(int size) {
      if (ks.length < size) {
        ks = new int[size];
      }
      return ks;
    }

    private static float[] atLeast(float[] buffer, int size) {
      return buffer.length < size ? new float[size] : buffer;
    }
  }

  /**
   * Most floats one thread keeps in transformed kernels and their weights' copies (256 MiB):
   * ResNet-18's Winograd layers keep about 100 MiB.
   */
  static final long HELD_FLOATS = 64L << 20;

  /**
   * A kernel transformed (Winograd's) or packed (a product's B) once and kept ({@link
   * Buffers#held}), with a copy of the weights it was made from. It is current under the hold of the weights it was made or checked in; otherwise it is
   * current if the weights still equal the copy, so that {@code predict}, which cannot promise
   * that the weights stay as they are, transforms a kernel again only when they changed (comparing
   * SEEDCNN's c2 weights costs about a microsecond; transforming and packing them, 30).
   */
  static final class HeldKernel {
    final int key;
    int a;
    int b;
    float[] packed;
    float[] source;
    boolean made;
    int hold;
    /**
     * The array and offset {@link #packed} was made from or last checked against: under a hold,
     * another array (another model's weights under the same key) is checked. Weak: a model let go
     * of is not kept alive by a thread's buffers.
     */
    java.lang.ref.WeakReference<float[]> madeFromArray = new java.lang.ref.WeakReference<>(null);
    int madeFromOffset;

    HeldKernel(int key, int a, int b, int weights, int size) {
      this.key = key;
      this.a = a;
      this.b = b;
      this.packed = new float[size];
      this.source = new float[weights];
    }

    /** Whether {@link #packed} is made from {@code w[wo..]} as it is now. */
    boolean current(Buffers buf, float[] w, int wo) {
      if (!made) {
        return false;
      }
      if (buf.weightsHeld && hold == buf.hold && wo == madeFromOffset && w == madeFromArray.get()) {
        return true;
      }
      if (!java.util.Arrays.equals(w, wo, wo + source.length, source, 0, source.length)) {
        return false;
      }
      remember(buf, w, wo);
      return true;
    }

    /** Records that {@link #packed} was just made from {@code w[wo..]}. */
    void madeFrom(Buffers buf, float[] w, int wo) {
      System.arraycopy(w, wo, source, 0, source.length);
      made = true;
      remember(buf, w, wo);
    }

    /**
     * Records {@code w[wo..]}, as it is now, as what {@link #packed} stands for, and the thread's
     * hold if it has one (a new reference only for a new array: none per call).
     */
    private void remember(Buffers buf, float[] w, int wo) {
      if (madeFromArray.get() != w) {
        madeFromArray = new java.lang.ref.WeakReference<>(w);
      }
      madeFromOffset = wo;
      hold = buf.weightsHeld ? buf.hold : hold;
    }
  }

  static Buffers buffers() {
    return BUFFERS.get();
  }

  /**
   * The weights {@code w[wo..]} as a product's B packed whole ({@code bRow}, {@code bCol}, {@code
   * n}, {@code kCount} as {@link #packWhole} takes them), packed once and kept under {@code
   * weightsKey} on this thread (the odd keys: Winograd's take the even ones) and packed again
   * when they change ({@link HeldKernel#current}). Null without a key, or past the thread's limit:
   * the product then packs as it goes.
   */
  static float[] keptPacked(Buffers buf, int weightsKey, float[] w, int wo, int bRow, int bCol, int n, int kCount) {
    if (weightsKey < 0) {
      return null;
    }
    HeldKernel held = buf.held(2 * weightsKey + 1, kCount, n, kCount * n, packedSize(kCount, n));
    if (held == null) {
      return null;
    }
    if (!held.current(buf, w, wo)) {
      packWhole(w, wo, bRow, bCol, n, kCount, held.packed, 0);
      held.madeFrom(buf, w, wo);
    }
    return held.packed;
  }

  /** Whether a product of {@code rows} rows by {@code n} columns is worth packing ({@link ConvolutionRules#wide}). */
  static boolean pays(int rows, int n) {
    return ConvolutionRules.wide(rows, n, L);
  }

  /**
   * An index table for A's rows or k ({@link #multiply}): {@code at[i] = (i / group) · groupStep +
   * (i % group / width) · rowStep + (i % width) · colStep} for {@code i < count}. A convolution's
   * pixels are groups of one sample's {@code rows x cols} pixels, its taps one group of rows of
   * {@code tapLength} contiguous floats. {@code group} is a multiple of {@code width}.
   */
  static int[] offsets(int[] at, int count, int group, int groupStep, int width, int rowStep, int colStep) {
    // Counters, not i / group and i % width: the divisors are not constants, so each was an
    // integer division, and SEEDCNN c1's 784 rows took longer to index than to multiply.
    int groupStart = 0;
    int rowStart = 0;
    int inGroup = 0;
    int col = 0;
    for (int i = 0; i < count; i++) {
      at[i] = rowStart + col * colStep;
      if (++col == width) {
        col = 0;
        rowStart += rowStep;
      }
      if (++inGroup == group) {
        inGroup = 0;
        col = 0;
        groupStart += groupStep;
        rowStart = groupStart;
      }
    }
    return at;
  }

  /** {@link #offsets} of one group: {@code (i / width) · rowStep + (i % width) · colStep}. */
  static int[] offsets(int[] at, int count, int width, int rowStep, int colStep) {
    return offsets(at, count, count, 0, width, rowStep, colStep);
  }

  /** {@code at[i] = i · step} for {@code i < count}. */
  static int[] strided(int[] at, int count, int step) {
    return offsets(at, count, count, 0, count, 0, step);
  }

  /**
   * {@code c[co + m·ldc + j] = init + Σ_k x[xo + rows[m] + ks[k]] · b[bo + k·bRow + j·bCol]} for
   * {@code m < mCount}, {@code j < n}, {@code k < kCount}. The initial value is {@code c}'s own
   * (with {@code accumulate}), else {@code bias[biasOffset + j]} (with {@code biasOffset >= 0}),
   * else 0.
   */
  static void multiply(
      float[] x, int xo, int[] rows, int mCount, int[] ks, int kCount,
      float[] b, int bo, int bRow, int bCol, int n,
      float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    multiply(x, xo, rows, mCount, ks, kCount, b, bo, bRow, bCol, n, null, 0, bias, biasOffset, accumulate, c, co, ldc, buf);
  }

  /**
   * {@link #multiply} of B as it is ({@code packed} null) or packed whole ({@link #packWhole}) at
   * {@code packed[po..]} ({@code b} unused), shared with a helper alike.
   */
  static void multiply(
      float[] x, int xo, int[] rows, int mCount, int[] ks, int kCount,
      float[] b, int bo, int bRow, int bCol, int n, float[] packed, int po,
      float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    int panels = (n + 2 * L - 1) / (2 * L);
    if (buf.shareWithHelpers && (long) mCount * n * kCount >= SHARED_MACS && (mCount >= 2 * MR || panels >= 2)) {
      // Split in two, by column panels where B outweighs A (ResNet-18's strided convolutions of
      // its last stages, 49 pixels by 4,608 window values times 512 filters: each thread then
      // reads half of B, and the halves are even), else by rows at a block boundary. Every C
      // element is computed as it would be alone, so the result has the same bits whoever
      // computes which part.
      boolean byColumns = n > mCount && panels >= 2 || mCount < 2 * MR;
      int rowSplit = byColumns ? mCount : (mCount / 2 + MR - 1) / MR * MR;
      int columnSplit = byColumns ? (panels + 1) / 2 * 2 * L : n;
      // The helper takes the rows from rowSplit, or the columns from columnSplit.
      GemmHelpers.Share share =
          GemmHelpers.offer(x, xo, rows, byColumns ? 0 : rowSplit, mCount, byColumns ? columnSplit : 0, n, ks, kCount, b, bo, bRow, bCol, n, packed, po, bias, biasOffset, accumulate, c, co, ldc);
      if (share == null) {
        rowSplit = mCount;
        columnSplit = n;
      }
      product(x, xo, rows, 0, rowSplit, 0, columnSplit, ks, kCount, b, bo, bRow, bCol, n, packed, po, bias, biasOffset, accumulate, c, co, ldc, buf);
      if (share != null) {
        share.await();
      }
      return;
    }
    product(x, xo, rows, 0, mCount, ks, kCount, b, bo, bRow, bCol, n, packed, po, bias, biasOffset, accumulate, c, co, ldc, buf);
  }

  /**
   * Multiply-adds from which a product is shared with a helper thread, where the calling thread
   * asked for it ({@link Kernels#shareWithHelpers}): SEEDCNN's c2 (3.6 million) and every
   * convolution of ResNet-18 are, LeNet-5's layers are not (waking a helper costs microseconds).
   */
  static final long SHARED_MACS = 1 << 20;

  /** {@link #multiply} for rows {@code [mFrom, mTo)}. */
  static void product(
      float[] x, int xo, int[] rows, int mFrom, int mTo, int[] ks, int kCount,
      float[] b, int bo, int bRow, int bCol, int n,
      float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    product(x, xo, rows, mFrom, mTo, ks, kCount, b, bo, bRow, bCol, n, null, 0, bias, biasOffset, accumulate, c, co, ldc, buf);
  }

  /**
   * Floats of B packed whole ({@link #packWhole}): every chunk of k's panels, one after the other.
   */
  static int packedSize(int kCount, int n) {
    int panels = (n + 2 * L - 1) / (2 * L);
    int chunks = (kCount + KC - 1) / KC;
    int kc = (kCount + chunks - 1) / chunks;
    return chunks * kc * panels * 2 * L;
  }

  /**
   * Where {@link #packWhole} puts B's element (k, j) of a B with {@code kCount} rows and {@code n}
   * columns: for a producer that writes B packed straight away. Columns {@code j .. j + L - 1}
   * (j a multiple of L) are contiguous there.
   */
  static int packedOffset(int k, int j, int kCount, int n) {
    int panels = (n + 2 * L - 1) / (2 * L);
    int chunks = (kCount + KC - 1) / KC;
    int kc = (kCount + chunks - 1) / chunks;
    int chunk = k / kc;
    int kLen = Math.min(kc, kCount - chunk * kc);
    return chunk * kc * panels * 2 * L + (j / (2 * L)) * kLen * 2 * L + (k - chunk * kc) * 2 * L + j % (2 * L);
  }

  /**
   * B packed as {@link #product} packs it chunk by chunk, all chunks at {@code bp[bpo..]}: for
   * products with the same B, which {@link #productPacked} then multiply without packing it again.
   */
  static void packWhole(float[] b, int bo, int bRow, int bCol, int n, int kCount, float[] bp, int bpo) {
    int panels = (n + 2 * L - 1) / (2 * L);
    int chunks = (kCount + KC - 1) / KC;
    int kc = (kCount + chunks - 1) / chunks;
    for (int k0 = 0, chunk = 0; k0 < kCount; k0 += kc, chunk++) {
      int kLen = Math.min(kc, kCount - k0);
      packB(b, bo + k0 * bRow, bRow, bCol, n, kLen, panels, bp, bpo + chunk * kc * panels * 2 * L);
    }
  }

  /**
   * {@link #product} with B already packed by {@link #packWhole} at {@code bp[bpo..]}: the same
   * blocks in the same order, so the same bits.
   */
  static void productPacked(
      float[] x, int xo, int[] rows, int mFrom, int mTo, int[] ks, int kCount, float[] bp, int bpo,
      int n, float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    product(x, xo, rows, mFrom, mTo, ks, kCount, null, 0, 0, 0, n, bp, bpo, bias, biasOffset, accumulate, c, co, ldc, buf);
  }

  /**
   * The product, packing B chunk by chunk into the buffers ({@code packed} null), or reading it
   * from {@code packed[packedOffset..]} ({@code b} unused).
   */
  static void product(
      float[] x, int xo, int[] rows, int mFrom, int mTo, int[] ks, int kCount,
      float[] b, int bo, int bRow, int bCol, int n, float[] packed, int packedOffset,
      float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    product(x, xo, rows, mFrom, mTo, 0, n, ks, kCount, b, bo, bRow, bCol, n, packed, packedOffset, bias, biasOffset, accumulate, c, co, ldc, buf);
  }

  /**
   * {@link #product} of rows {@code [mFrom, mTo)} and columns {@code [jFrom, jTo)} of C ({@code
   * jFrom} a multiple of 2L, {@code jTo} one too or {@code n}); the packed B, if any, is all
   * {@code n} columns' ({@link #packWhole}).
   */
  static void product(
      float[] x, int xo, int[] rows, int mFrom, int mTo, int jFrom, int jTo, int[] ks, int kCount,
      float[] b, int bo, int bRow, int bCol, int n, float[] packed, int packedOffset,
      float[] bias, int biasOffset, boolean accumulate, float[] c, int co, int ldc, Buffers buf) {
    int mCount = mTo - mFrom;
    int panels = (n + 2 * L - 1) / (2 * L);
    int pFrom = jFrom / (2 * L);
    int pTo = (jTo + 2 * L - 1) / (2 * L);
    int chunks = (kCount + KC - 1) / KC;
    int kc = (kCount + chunks - 1) / chunks;
    if (packed == null && buf.b.length < kc * (pTo - pFrom) * 2 * L) {
      buf.b = new float[kc * (pTo - pFrom) * 2 * L];
    }
    int groupRows = Math.min(MC, (mCount + MR - 1) / MR * MR);
    if (buf.a.length < groupRows * kc + L) {
      buf.a = new float[groupRows * kc + L]; // + L: packA's whole-vector stores run past the end
    }
    float[] ap = buf.a;
    float[] bp = packed != null ? packed : buf.b;
    for (int k0 = 0, chunk = 0; k0 < kCount; k0 += kc, chunk++) {
      int kLen = Math.min(kc, kCount - k0);
      int bChunk = packed != null ? packedOffset + chunk * kc * panels * 2 * L : 0;
      if (packed == null) {
        packB(b, bo + k0 * bRow + jFrom * bCol, bRow, bCol, jTo - jFrom, kLen, pTo - pFrom, bp, 0);
      }
      // The first chunk starts from the bias, or zero; later chunks continue from C.
      boolean fromC = accumulate || k0 > 0;
      for (int m0 = mFrom; m0 < mTo; m0 += MC) {
        int mLen = Math.min(MC, mTo - m0);
        packA(x, xo, rows, m0, mLen, ks, k0, kLen, ap);
        for (int p = pFrom; p < pTo; p++) {
          int j = p * 2 * L;
          // The packed-whole B holds every panel; one packed here, only this call's.
          int bPanel = bChunk + (packed != null ? p : p - pFrom) * kLen * 2 * L;
          for (int r = 0; r < mLen; r += MR) {
            int cb = co + (m0 + r) * ldc + j;
            if (j + 2 * L <= n) {
              // Whole columns; a short last block of rows stores only its rows.
              int rowsValid = Math.min(MR, mLen - r);
              if (fromC) {
                block(ap, r * kLen, kLen, bp, bPanel, c, cb, ldc, c, cb, ldc, rowsValid);
              } else if (biasOffset >= 0) {
                block(ap, r * kLen, kLen, bp, bPanel, bias, biasOffset + j, 0, c, cb, ldc, rowsValid);
              } else {
                block(ap, r * kLen, kLen, bp, bPanel, Vectors.ZEROS, 0, 0, c, cb, ldc, rowsValid);
              }
            } else {
              edge(ap, r * kLen, kLen, bp, bPanel, Math.min(MR, mLen - r), Math.min(2 * L, n - j),
                  fromC, bias, biasOffset < 0 ? -1 : biasOffset + j, c, cb, ldc, buf.edge);
            }
          }
        }
      }
    }
  }

  /** Columns {@code [0, n)} of rows {@code [0, kLen)} of B, as panels of 2L columns, zero-padded. */
  static void packB(float[] b, int bo, int bRow, int bCol, int n, int kLen, int panels, float[] bp, int bpo) {
    for (int p = 0; p < panels; p++) {
      int j0 = p * 2 * L;
      int width = Math.min(2 * L, n - j0);
      int dst = bpo + p * kLen * 2 * L;
      for (int k = 0; k < kLen; k++) {
        int src = bo + k * bRow + j0 * bCol;
        int d = dst + k * 2 * L;
        if (bCol == 1) {
          System.arraycopy(b, src, bp, d, width);
        } else {
          for (int l = 0; l < width; l++) {
            bp[d + l] = b[src + l * bCol];
          }
        }
        for (int l = width; l < 2 * L; l++) {
          bp[d + l] = 0;
        }
      }
    }
  }

  /**
   * Rows {@code [m0, m0 + mLen)} of A over k in {@code [k0, k0 + kLen)}, in blocks of {@link #MR}
   * rows interleaved ({@code ap[r·kLen + k·MR + i]} is row {@code r + i}), a short last block
   * padded with zero rows.
   */
  static void packA(
      float[] x, int xo, int[] rows, int m0, int mLen, int[] ks, int k0, int kLen, float[] ap) {
    int r = 0;
    for (; r + MR <= mLen; r += MR) {
      int d = r * kLen;
      int first = rows[m0 + r];
      // Six rows contiguous (a weight gradient's channels of one tap): each k is one run of six
      // floats, one vector load (2.5 times faster than six scalar copies; the other common shape,
      // k contiguous, gained nothing from strided stores or gathers).
      if (L >= MR && rows[m0 + r + 5] == first + 5 && rows[m0 + r + 1] == first + 1 && rows[m0 + r + 2] == first + 2
          && rows[m0 + r + 3] == first + 3 && rows[m0 + r + 4] == first + 4) {
        // Its other lanes are overwritten by the next k, or the next block, or land in the slack.
        for (int k = 0; k < kLen; k++, d += MR) {
          FloatVector.fromArray(S, x, xo + first + ks[k0 + k], SIX).intoArray(ap, d);
        }
        continue;
      }
      int x0 = xo + rows[m0 + r];
      int x1 = xo + rows[m0 + r + 1];
      int x2 = xo + rows[m0 + r + 2];
      int x3 = xo + rows[m0 + r + 3];
      int x4 = xo + rows[m0 + r + 4];
      int x5 = xo + rows[m0 + r + 5];
      for (int k = 0; k < kLen; k++, d += MR) {
        int kk = ks[k0 + k];
        ap[d] = x[x0 + kk];
        ap[d + 1] = x[x1 + kk];
        ap[d + 2] = x[x2 + kk];
        ap[d + 3] = x[x3 + kk];
        ap[d + 4] = x[x4 + kk];
        ap[d + 5] = x[x5 + kk];
      }
    }
    if (r < mLen) {
      int base = r * kLen;
      int valid = mLen - r;
      for (int i = 0; i < MR; i++) {
        int row = i < valid ? xo + rows[m0 + r + i] : -1;
        for (int k = 0; k < kLen; k++) {
          ap[base + k * MR + i] = row >= 0 ? x[row + ks[k0 + k]] : 0;
        }
      }
    }
  }

  /**
   * A block short of columns: computed whole into {@code edge} (MR x 2L), from which the valid
   * part goes to C. Only that part starts from C or the bias: what the block computes past it
   * is never read, so whatever the buffer held there does not matter.
   */
  private static void edge(
      float[] ap, int ao, int kLen, float[] bp, int bPanel, int rowsValid, int colsValid,
      boolean fromC, float[] bias, int bf, float[] c, int cb, int ldc, float[] edge) {
    int w = 2 * L;
    for (int i = 0; i < rowsValid; i++) {
      if (fromC) {
        System.arraycopy(c, cb + i * ldc, edge, i * w, colsValid);
      } else if (bf >= 0) {
        System.arraycopy(bias, bf, edge, i * w, colsValid);
      } else {
        java.util.Arrays.fill(edge, i * w, i * w + colsValid, 0f);
      }
    }
    block(ap, ao, kLen, bp, bPanel, edge, 0, w, edge, 0, w, MR);
    for (int i = 0; i < rowsValid; i++) {
      System.arraycopy(edge, i * w, c, cb + i * ldc, colsValid);
    }
  }

  /**
   * The register block: six rows by two vectors, {@code c[cb + i·ldc ..] = init[io + i·ldi ..] +
   * Σ_k} (ldi 0: one row for all six, a bias) for {@code i < rows} (fewer than six: a product's
   * short last block, whose packed rows past the end are zeros). Two details double its speed under C2 (85 against
   * 39-50 GFLOP/s on one AVX2 core, same JVM): the accumulators start at zero and the initial
   * value is added at the end (started from loaded values, the loop ran at 39), and the loop over
   * k is unrolled by two with the bound written {@code k < kLen - 1} (written {@code k + 2 <=
   * kLen}, 50).
   */
  static void block(
      float[] ap, int ao, int kLen, float[] bp, int bo, float[] init, int io, int ldi,
      float[] c, int cb, int ldc, int rows) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector a4 = FloatVector.zero(S);
    FloatVector c4 = FloatVector.zero(S);
    FloatVector a5 = FloatVector.zero(S);
    FloatVector c5 = FloatVector.zero(S);
    int k = 0;
    for (; k < kLen - 1; k += 2) {
      for (int u = 0; u < 2; u++) {
        int bk = bo + (k + u) * 2 * L;
        int ak = ao + (k + u) * MR;
        FloatVector k0 = FloatVector.fromArray(S, bp, bk);
        FloatVector k1 = FloatVector.fromArray(S, bp, bk + L);
        FloatVector v0 = FloatVector.broadcast(S, ap[ak]);
        a0 = k0.fma(v0, a0);
        c0 = k1.fma(v0, c0);
        FloatVector v1 = FloatVector.broadcast(S, ap[ak + 1]);
        a1 = k0.fma(v1, a1);
        c1 = k1.fma(v1, c1);
        FloatVector v2 = FloatVector.broadcast(S, ap[ak + 2]);
        a2 = k0.fma(v2, a2);
        c2 = k1.fma(v2, c2);
        FloatVector v3 = FloatVector.broadcast(S, ap[ak + 3]);
        a3 = k0.fma(v3, a3);
        c3 = k1.fma(v3, c3);
        FloatVector v4 = FloatVector.broadcast(S, ap[ak + 4]);
        a4 = k0.fma(v4, a4);
        c4 = k1.fma(v4, c4);
        FloatVector v5 = FloatVector.broadcast(S, ap[ak + 5]);
        a5 = k0.fma(v5, a5);
        c5 = k1.fma(v5, c5);
      }
    }
    if (k < kLen) {
      int bk = bo + k * 2 * L;
      int ak = ao + k * MR;
      FloatVector k0 = FloatVector.fromArray(S, bp, bk);
      FloatVector k1 = FloatVector.fromArray(S, bp, bk + L);
      FloatVector v0 = FloatVector.broadcast(S, ap[ak]);
      a0 = k0.fma(v0, a0);
      c0 = k1.fma(v0, c0);
      FloatVector v1 = FloatVector.broadcast(S, ap[ak + 1]);
      a1 = k0.fma(v1, a1);
      c1 = k1.fma(v1, c1);
      FloatVector v2 = FloatVector.broadcast(S, ap[ak + 2]);
      a2 = k0.fma(v2, a2);
      c2 = k1.fma(v2, c2);
      FloatVector v3 = FloatVector.broadcast(S, ap[ak + 3]);
      a3 = k0.fma(v3, a3);
      c3 = k1.fma(v3, c3);
      FloatVector v4 = FloatVector.broadcast(S, ap[ak + 4]);
      a4 = k0.fma(v4, a4);
      c4 = k1.fma(v4, c4);
      FloatVector v5 = FloatVector.broadcast(S, ap[ak + 5]);
      a5 = k0.fma(v5, a5);
      c5 = k1.fma(v5, c5);
    }
    a0.add(FloatVector.fromArray(S, init, io)).intoArray(c, cb);
    c0.add(FloatVector.fromArray(S, init, io + L)).intoArray(c, cb + L);
    // A short block (the product's last rows) stores only its rows.
    if (rows > 1) {
      a1.add(FloatVector.fromArray(S, init, io + ldi)).intoArray(c, cb + ldc);
      c1.add(FloatVector.fromArray(S, init, io + ldi + L)).intoArray(c, cb + ldc + L);
    }
    if (rows > 2) {
      a2.add(FloatVector.fromArray(S, init, io + 2 * ldi)).intoArray(c, cb + 2 * ldc);
      c2.add(FloatVector.fromArray(S, init, io + 2 * ldi + L)).intoArray(c, cb + 2 * ldc + L);
    }
    if (rows > 3) {
      a3.add(FloatVector.fromArray(S, init, io + 3 * ldi)).intoArray(c, cb + 3 * ldc);
      c3.add(FloatVector.fromArray(S, init, io + 3 * ldi + L)).intoArray(c, cb + 3 * ldc + L);
    }
    if (rows > 4) {
      a4.add(FloatVector.fromArray(S, init, io + 4 * ldi)).intoArray(c, cb + 4 * ldc);
      c4.add(FloatVector.fromArray(S, init, io + 4 * ldi + L)).intoArray(c, cb + 4 * ldc + L);
    }
    if (rows > 5) {
      a5.add(FloatVector.fromArray(S, init, io + 5 * ldi)).intoArray(c, cb + 5 * ldc);
      c5.add(FloatVector.fromArray(S, init, io + 5 * ldi + L)).intoArray(c, cb + 5 * ldc + L);
    }
  }
}
