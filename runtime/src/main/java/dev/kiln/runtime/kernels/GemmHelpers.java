package dev.kiln.runtime.kernels;

/**
 * Part of a large matrix product taken off a thread that waits for one sample's result ({@code
 * predict}) by one of Kiln's {@link Helpers}: batch-1 latency on more than one core, where a
 * layer is large enough to pay for the hand-off ({@link VectorGemm#SHARED_MACS}). Nothing is
 * allocated per share: each helper has one {@link Share} ({@link Helpers.Slots}), refilled by the
 * caller that claims the helper.
 */
final class GemmHelpers {
  private static final Helpers.Slots<Share> SHARES = new Helpers.Slots<>(Share::new);

  private GemmHelpers() {}

  /** Rows {@code [from, to)} and columns {@code [jFrom, jTo)} of one product, computed by a helper. */
  static final class Share extends Helpers.Handoff {
    private float[] x, b, packed, bias, c;
    private int[] rows, ks;
    private int xo, from, to, jFrom, jTo, kCount, bo, bRow, bCol, n, packedOffset, biasOffset, co, ldc;
    private boolean accumulate;

    @Override
    public void run() {
      try {
        VectorGemm.product(x, xo, rows, from, to, jFrom, jTo, ks, kCount, b, bo, bRow, bCol, n, packed, packedOffset, bias, biasOffset, accumulate, c, co, ldc, VectorGemm.buffers());
      } finally {
        x = b = packed = bias = c = null;
        rows = ks = null;
      }
    }

    /** Waits for the helper to finish its rows, rethrowing what it threw, and frees it. */
    void await() {
      helper.join();
    }
  }

  /**
   * Hands rows {@code [from, to)} and columns {@code [jFrom, jTo)} of a product of B as it is
   * ({@code packed} null) or packed whole at {@code packed[packedOffset..]} ({@link
   * VectorGemm#product}) to an idle helper and returns its share (to {@link Share#await}), or null
   * where every helper is busy (the caller then computes them itself).
   */
  static Share offer(
      float[] x, int xo, int[] rows, int from, int to, int jFrom, int jTo, int[] ks, int kCount, float[] b,
      int bo, int bRow, int bCol, int n, float[] packed, int packedOffset, float[] bias, int biasOffset,
      boolean accumulate, float[] c, int co, int ldc) {
    Share share = SHARES.claim();
    if (share == null) {
      return null;
    }
    share.x = x;
    share.xo = xo;
    share.rows = rows;
    share.from = from;
    share.to = to;
    share.jFrom = jFrom;
    share.jTo = jTo;
    share.ks = ks;
    share.kCount = kCount;
    share.b = b;
    share.bo = bo;
    share.bRow = bRow;
    share.bCol = bCol;
    share.n = n;
    share.packed = packed;
    share.packedOffset = packedOffset;
    share.bias = bias;
    share.biasOffset = biasOffset;
    share.accumulate = accumulate;
    share.c = c;
    share.co = co;
    share.ldc = ldc;
    share.helper.start(share); // publishes the fields above
    return share;
  }
}
