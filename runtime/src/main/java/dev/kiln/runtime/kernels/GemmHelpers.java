package dev.kiln.runtime.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Helper threads that take part of a large matrix product off a thread that waits for one
 * sample's result ({@code predict}): batch-1 latency on more than one core, where a layer is large
 * enough to pay for the hand-off ({@link VectorGemm#SHARED_MACS}).
 *
 * <p>One helper per core beyond the first, started on first use, daemon threads. A share is
 * offered to a helper only if it is idle (a compare-and-set), else the caller computes everything
 * itself, so any number of callers may run at once and none waits for another. Nothing is
 * allocated per share: each helper owns one {@link Share}, refilled by the caller that claims it.
 * After a share a helper spins for {@link #SPIN_NANOS} before parking, so that the next layer of
 * the same sample finds it awake (unparking a thread costs tens of microseconds here).
 */
final class GemmHelpers {
  /** How long an idle helper spins before it parks. */
  static final long SPIN_NANOS = 200_000;

  private static final Share[] HELPERS = start(Runtime.getRuntime().availableProcessors() - 1);

  private GemmHelpers() {}

  /** The rows {@code [from, to)} of one product, computed by a helper thread. */
  static final class Share implements Runnable {
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean ready;
    private volatile boolean done;
    private volatile Throwable failure;
    private Thread thread;
    private float[] x, b, packed, bias, c;
    private int[] rows, ks;
    private int xo, from, to, kCount, bo, bRow, bCol, n, packedOffset, biasOffset, co, ldc;
    private boolean accumulate;

    @Override
    public void run() {
      VectorGemm.Buffers buf = VectorGemm.buffers();
      while (true) {
        long idle = System.nanoTime();
        while (!ready) {
          if (System.nanoTime() - idle < SPIN_NANOS) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        ready = false;
        try {
          VectorGemm.product(x, xo, rows, from, to, ks, kCount, b, bo, bRow, bCol, n, packed, packedOffset, bias, biasOffset, accumulate, c, co, ldc, buf);
        } catch (Throwable t) {
          failure = t;
        }
        x = b = packed = bias = c = null;
        rows = ks = null;
        done = true;
      }
    }

    /** Waits for the helper to finish its rows, rethrowing what it threw, and frees it. */
    void await() {
      while (!done) {
        Thread.onSpinWait();
      }
      Throwable t = failure;
      failure = null;
      busy.set(false);
      if (t instanceof RuntimeException e) {
        throw e;
      }
      if (t instanceof Error e) {
        throw e;
      }
      if (t != null) {
        throw new IllegalStateException(t);
      }
    }
  }

  private static Share[] start(int count) {
    Share[] helpers = new Share[Math.max(0, count)];
    for (int i = 0; i < helpers.length; i++) {
      Share share = new Share();
      Thread thread = new Thread(share, "kiln-gemm-helper-" + i);
      thread.setDaemon(true);
      share.thread = thread;
      helpers[i] = share;
      thread.start();
    }
    return helpers;
  }

  /**
   * Hands rows {@code [from, to)} of a product to an idle helper and returns its share (to {@link
   * Share#await}), or null where every helper is busy (the caller then computes them itself).
   */
  static Share offer(
      float[] x, int xo, int[] rows, int from, int to, int[] ks, int kCount, float[] b, int bo,
      int bRow, int bCol, int n, float[] bias, int biasOffset, boolean accumulate, float[] c, int co,
      int ldc) {
    return offer(x, xo, rows, from, to, ks, kCount, b, bo, bRow, bCol, n, null, 0, bias, biasOffset, accumulate, c, co, ldc);
  }

  /**
   * {@link #offer} of a product of B as it is ({@code packed} null) or packed whole at {@code
   * packed[packedOffset..]} ({@link VectorGemm#product}).
   */
  static Share offer(
      float[] x, int xo, int[] rows, int from, int to, int[] ks, int kCount, float[] b, int bo,
      int bRow, int bCol, int n, float[] packed, int packedOffset, float[] bias, int biasOffset,
      boolean accumulate, float[] c, int co, int ldc) {
    for (Share share : HELPERS) {
      if (share.busy.compareAndSet(false, true)) {
        share.x = x;
        share.xo = xo;
        share.rows = rows;
        share.from = from;
        share.to = to;
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
        share.done = false;
        share.ready = true; // publishes the fields above (a volatile write)
        LockSupport.unpark(share.thread);
        return share;
      }
    }
    return null;
  }
}
