package dev.kiln.runtime;

/** Argument checks shared by generated models, so their messages read the same everywhere. */
public final class Checks {
  private Checks() {}

  /** Checks one sample's input or output array. */
  public static void sampleArray(
      String model, String what, float[] array, int expected, TensorShape shape) {
    if (array == null) {
      throw new NullPointerException(model + ": " + what + " array is null");
    }
    if (array.length != expected) {
      throw new IllegalArgumentException(
          model
              + ": "
              + what
              + " must hold "
              + expected
              + " floats ("
              + shape
              + (shape.flat() ? "" : ", NHWC")
              + "), got "
              + array.length);
    }
  }

  /** Checks a batch's input and output arrays and returns the number of samples. */
  public static int batch(
      String model,
      float[] inputs,
      int inputSize,
      float[] outputs,
      int outputSize,
      int threads) {
    if (inputs == null || outputs == null) {
      throw new NullPointerException(
          model + ": " + (inputs == null ? "inputs" : "outputs") + " array is null");
    }
    if (inputs.length % inputSize != 0) {
      throw new IllegalArgumentException(
          model
              + ": inputs must hold a whole number of samples of "
              + inputSize
              + " floats, got "
              + inputs.length);
    }
    int count = inputs.length / inputSize;
    if ((long) count * outputSize != outputs.length) {
      throw new IllegalArgumentException(
          model
              + ": "
              + count
              + " input samples need an outputs array of "
              + (long) count * outputSize
              + " floats, got "
              + outputs.length);
    }
    if (threads < 1) {
      throw new IllegalArgumentException(model + ": threads must be at least 1, got " + threads);
    }
    return count;
  }
}
