package dev.kiln.benchmarks;

import dev.kiln.runtime.Model;

/** LENET's generated per-layer methods (layers c1, s2, c3, s4, c5, f6, output). */
final class LeNet5Calls implements NetworkCalls {
  @Override
  public Model create(long seed) {
    return LeNet5Model.create(seed);
  }

  @Override
  public void forward(int layer, float[] p, float[] x, float[] y) {
    switch (layer) {
      case 0 -> LeNet5Model.c1Forward(p, x, 0, y, 0);
      case 1 -> LeNet5Model.s2Forward(p, x, 0, y, 0);
      case 2 -> LeNet5Model.c3Forward(p, x, 0, y, 0);
      case 3 -> LeNet5Model.s4Forward(p, x, 0, y, 0);
      case 4 -> LeNet5Model.c5Forward(p, x, 0, y, 0);
      case 5 -> LeNet5Model.f6Forward(p, x, 0, y, 0);
      case 6 -> LeNet5Model.outputForward(p, x, 0, y, 0);
      default -> throw new IllegalArgumentException("no layer " + layer);
    }
  }

  @Override
  public void backward(int layer, float[] p, float[] x, float[] y, float[] d, float[] dx, float[] g) {
    switch (layer) {
      case 0 -> LeNet5Model.c1Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 1 -> LeNet5Model.s2Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 2 -> LeNet5Model.c3Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 3 -> LeNet5Model.s4Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 4 -> LeNet5Model.c5Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 5 -> LeNet5Model.f6Backward(p, x, 0, y, 0, d, 0, dx, 0, g);
      case 6 -> LeNet5Model.outputBackward(p, x, 0, y, 0, d, 0, dx, 0, g);
      default -> throw new IllegalArgumentException("no layer " + layer);
    }
  }
}
