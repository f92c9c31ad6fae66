package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape every vector kernel uses, and the lane folds several of them share. The
 * classes named {@code Vector*} are the Vector API implementations behind {@link Kernels}; they and
 * this one are the only classes that name {@code jdk.incubator.vector}, and {@link Kernels} calls
 * them only when {@link Kernels#VECTORIZED} is true, so a JVM without {@code
 * jdk.incubator.vector} never links them. {@link #describe()} is the first call, from {@link
 * Kernels}' start-up: a JVM that cannot link the module fails there, with a {@link LinkageError}
 * that {@link Kernels} catches to take the plain path.
 *
 * <p>Three rules keep the JIT producing vector code, all learned here the hard way. No vector or
 * mask crosses a method boundary, not even into a small helper: a call the JIT does not inline
 * boxes its vector arguments, allocating on every call. Each method stays small. And a block with
 * many accumulators takes no mask: C1 gave up ("out of virtual registers") on a block of two
 * vectors by four pixels with masks, on one with four masks, and on an eight-row block with one
 * mask; such a method may never reach C2, or reach it without its vectors intrinsified, and then
 * runs 30 to 70 times slower and allocates on every call ({@code AllocationTest} catches it). So
 * the register blocks of each size, and their masked and unmasked forms, are methods of their
 * own, each with its accumulators in locals.
 */
final class Vectors {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  /** Two vectors of zeros, read as the initial value of sums that start from nothing. */
  static final float[] ZEROS = new float[2 * L];

  private Vectors() {}

  /** Floats per vector. */
  static int lanes() {
    return L;
  }

  static String describe() {
    return S.vectorBitSize() + "-bit, " + L + " floats per vector";
  }

  // The lanes of a dot product are summed by folding the vector in halves (lane i plus lane
  // i + L/2, then i + L/4, ...), written out with rearranges and adds. reduceLanes(ADD) leaves
  // the order of its additions open, and C2's order differs from the interpreter's and C1's: the
  // same training run ended with weights some ulps apart from one JVM to the next. A fold spelled
  // out lane by lane adds in the same order wherever it runs (VectorDense's transposed product,
  // VectorPlanarGradient's sums).
  static final VectorShuffle<Float> FOLD_HALF = fold(L / 2);
  static final VectorShuffle<Float> FOLD_QUARTER = fold(L / 4);
  static final VectorShuffle<Float> FOLD_EIGHTH = fold(L / 8);
  static final VectorShuffle<Float> FOLD_SIXTEENTH = fold(L / 16);

  /** Pairs lane i with lane i ^ distance (identity where distance is 0, for short vectors). */
  private static VectorShuffle<Float> fold(int distance) {
    return VectorShuffle.fromOp(S, i -> i ^ distance);
  }
}
