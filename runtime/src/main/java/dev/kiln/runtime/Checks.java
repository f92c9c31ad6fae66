package dev.kiln.runtime;

import java.util.List;

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

  /**
   * The index of {@code layer} among a model's declared {@code layers} (the very same handle: a
   * model's fields, {@code layers()} or {@code layer(name)}).
   */
  public static int layerIndex(String model, List<Layer> layers, Layer layer) {
    if (layer == null) {
      throw new NullPointerException(model + ": layer is null");
    }
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) == layer) {
        return i;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Layer l : layers) {
      names.append(names.length() == 0 ? "" : ", ").append(l.name());
    }
    throw new IllegalArgumentException(
        model + ": layer '" + layer.name() + "' (" + layer.description() + ") is not one of this"
            + " model's layers (" + names + "); take it from the model's fields, layers() or"
            + " layer(name)");
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

  /** Checks the arrays of one {@code trainTile} call (a few comparisons per sample). */
  public static void trainTile(
      String model, float[] x, int[] xOffsets, int count, int tile, int inputSize, float[] targets,
      float[] outs, int outputSize, float[] gradients, int parameterCount, float[] workspace,
      int workspaceSize, long[] noise, float[] losses) {
    if (count < 0 || count > tile) {
      throw new IllegalArgumentException(
          model + ": a tile holds 0 to " + tile + " samples (trainingTile()), got " + count);
    }
    if (xOffsets == null || xOffsets.length < count || noise == null || noise.length < count
        || losses == null || losses.length < count) {
      throw new IllegalArgumentException(
          model + ": inputOffsets, noise and losses must hold a value per sample (" + count + ")");
    }
    for (int s = 0; s < count; s++) {
      region(model, "input", x, xOffsets[s], inputSize);
    }
    region(model, "targets", targets, 0, count * outputSize);
    region(model, "predictions", outs, 0, count * outputSize);
    if (gradients == null || gradients.length != parameterCount) {
      throw new IllegalArgumentException(
          model + ": gradients must hold " + parameterCount + " floats (one per parameter), got "
              + (gradients == null ? "null" : gradients.length));
    }
    if (workspace == null || workspace.length / Math.max(1, workspaceSize) < count) {
      throw new IllegalArgumentException(
          model + ": the training workspace must hold at least " + count + " x " + workspaceSize
              + " floats, got " + (workspace == null ? "null" : workspace.length));
    }
  }

  /** Checks the arrays of one {@code trainSample} call (cheap: a few comparisons). */
  public static void trainSample(
      String model,
      float[] x,
      int xo,
      int inputSize,
      float[] target,
      int to,
      int outputSize,
      float[] prediction,
      int po,
      float[] gradients,
      int parameterCount,
      float[] workspace,
      int workspaceSize) {
    region(model, "input", x, xo, inputSize);
    region(model, "target", target, to, outputSize);
    region(model, "prediction", prediction, po, outputSize);
    if (gradients == null || gradients.length != parameterCount) {
      throw new IllegalArgumentException(
          model + ": gradients must hold " + parameterCount + " floats (one per parameter), got "
              + (gradients == null ? "null" : gradients.length));
    }
    if (workspace == null || workspace.length < workspaceSize) {
      throw new IllegalArgumentException(
          model + ": the training workspace must hold at least " + workspaceSize + " floats, got "
              + (workspace == null ? "null" : workspace.length));
    }
  }

  private static void region(String model, String what, float[] array, int offset, int size) {
    if (array == null) {
      throw new NullPointerException(model + ": " + what + " array is null");
    }
    if (offset < 0 || (long) offset + size > array.length) {
      throw new IllegalArgumentException(
          model + ": " + what + " needs " + size + " floats at offset " + offset + ", but the array"
              + " holds " + array.length);
    }
  }
}
