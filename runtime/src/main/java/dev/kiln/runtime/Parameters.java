package dev.kiln.runtime;

import java.util.Arrays;
import java.util.Objects;

/** Checked access to a layer's slice of a model's flat parameter array. */
final class Parameters {
  private Parameters() {}

  static float[] copy(Model model, Layer layer, int offset, int count, String what) {
    checkOwned(model, layer);
    if (count == 0) {
      throw new IllegalArgumentException(
          "layer '" + layer.name() + "' (" + layer.description() + ") has no " + what);
    }
    return Arrays.copyOfRange(model.parameters(), offset, offset + count);
  }

  static void set(Model model, Layer layer, int offset, int count, String what, float[] values) {
    checkOwned(model, layer);
    Objects.requireNonNull(values, what);
    if (count == 0) {
      throw new IllegalArgumentException(
          "layer '" + layer.name() + "' (" + layer.description() + ") has no " + what);
    }
    if (values.length != count) {
      throw new IllegalArgumentException(
          "layer '"
              + layer.name()
              + "' expects "
              + count
              + " "
              + what
              + (what.equals("weights") ? " " + Arrays.toString(layer.weightShape()) : "")
              + ", got "
              + values.length);
    }
    System.arraycopy(values, 0, model.parameters(), offset, count);
  }

  private static void checkOwned(Model model, Layer layer) {
    Objects.requireNonNull(layer, "layer");
    if (!model.layers().contains(layer)) {
      throw new IllegalArgumentException(
          "layer '" + layer.name() + "' does not belong to " + model.name());
    }
  }
}
