package dev.kiln.benchmarks;

import dev.kiln.runtime.Model;

/** SEEDCNN's generated per-layer methods (layers c1, p1, c2, p2, output). */
final class SeedCnnCalls implements NetworkCalls {
  @Override
  public Model create(long seed) {
    return SeedCnnModel.create(seed);
  }

  @Override
  public void forward(int layer, float[] p, float[] x, float[] y) {
    switch (layer) {
      case 0 -> SeedCnnModel.c1Forward(p, x, 0, y, 0);
      case 1 -> SeedCnnModel.p1Forward(p, x, 0, y, 0);
      case 2 -> SeedCnnModel.c2Forward(p, x, 0, y, 0);
      case 3 -> SeedCnnModel.p2Forward(p, x, 0, y, 0);
      case 4 -> SeedCnnModel.outputForward(p, x, 0, y, 0);
      default -> throw new IllegalArgumentException("no layer " + layer);
    }
  }

  @Override
  public void backward(int layer, float[] p, float[] x, float[] y, float[] d, float[] dx, float[] g) {
    switch (layer) {
      case 0 -> SeedCnnModel.c1Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 1 -> SeedCnnModel.p1Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 2 -> SeedCnnModel.c2Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 3 -> SeedCnnModel.p2Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 4 -> SeedCnnModel.outputBackward(p, x, 0, y, 0, d, 0, dx, 0, g);
      default -> throw new IllegalArgumentException("no layer " + layer);
    }
  }
}
