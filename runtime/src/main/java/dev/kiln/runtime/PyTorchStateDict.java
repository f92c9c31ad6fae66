package dev.kiln.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PyTorch state dict saved as safetensors ({@code safetensors.torch.save_file(model.state_dict(),
 * path)}), loaded into a Kiln model of the same architecture ({@link Checkpoint#loadPyTorch}), and
 * a Kiln model written as one ({@link Checkpoint#savePyTorch}).
 *
 * <p>PyTorch's layouts are converted to Kiln's (TensorFlow's), and back when saving:
 *
 * <ul>
 *   <li>a convolution's {@code weight} {@code [out, in, kh, kw]} (OIHW) to HWIO {@code [kh, kw, in,
 *       out]};
 *   <li>a depthwise convolution's ({@code groups} = channels) {@code [in * multiplier, 1, kh, kw]}
 *       to {@code [kh, kw, in, multiplier]}: PyTorch's output channel {@code c * multiplier + m} is
 *       input channel {@code c}'s filter {@code m}, as in Kiln;
 *   <li>a linear layer's {@code weight} {@code [out, in]} to {@code [in, out]}; where the dense
 *       layer reads a spatial layer, PyTorch's {@code flatten} ordered its inputs CHW and Kiln's
 *       orders them HWC, so the rows are reordered too;
 *   <li>a BatchNorm's {@code weight}, {@code bias}, {@code running_mean} and {@code running_var}
 *       to its gamma, beta, moving mean and moving variance; {@code num_batches_tracked} is read
 *       past.
 * </ul>
 */
final class PyTorchStateDict {
  private PyTorchStateDict() {}

  /** How one PyTorch tensor lands in the model. */
  private enum Layout {
    /** As it is (biases, BatchNorm's vectors). */
    SAME,
    /** OIHW to HWIO. */
    CONV,
    /** {@code [in * multiplier, 1, kh, kw]} to {@code [kh, kw, in, multiplier]}. */
    DEPTHWISE,
    /** {@code [out, in]} to {@code [in, out]}, rows from CHW to HWC order where flattened. */
    DENSE
  }

  /**
   * One tensor the state dict must hold: its PyTorch name and shape, where it goes, and for a
   * dense layer the spatial shape its input was flattened from (null where it was not).
   */
  private record Expected(
      String name, int[] shape, Layout layout, Layer layer, int offset, int count, boolean state,
      TensorShape flattened) {}

  static void load(Model model, Path file, Map<String, String> modules) throws IOException {
    if (Files.isDirectory(file)) {
      throw new DataFormatException(file, "is a directory, expected a .safetensors file");
    }
    Map<String, Expected> expected = expected(model, modules);
    byte[] bytes = Files.readAllBytes(file);
    Map<?, ?> header = Checkpoint.header(file, bytes);
    Checkpoint.checkNames(
        file, header, expected.keySet(), name -> name.endsWith(".num_batches_tracked"),
        "is not a PyTorch state dict of " + model.name(),
        " (PyTorch's modules must be named after Kiln's layers, or mapped to them)");

    float[] parameters = model.parameters().clone();
    float[] state = model.state().clone();
    for (Expected e : expected.values()) {
      float[] values =
          Checkpoint.tensor(
              file, bytes, header, e.name(), e.shape(), e.count(),
              "; call .float() on the model before saving",
              e.layer().name() + " of " + model.name() + " (" + e.layer().description()
                  + ") expects " + Arrays.toString(e.shape()) + " in PyTorch's layout",
              new long[2]);
      transfer(e, values, e.state() ? state : parameters, true);
    }
    System.arraycopy(parameters, 0, model.parameters(), 0, parameters.length);
    System.arraycopy(state, 0, model.state(), 0, state.length);
  }

  /**
   * Writes {@code model}'s parameters and BatchNorm statistics as the state dict a PyTorch module
   * of the same architecture, named as {@code modules} says, loads ({@code
   * model.load_state_dict(safetensors.torch.load_file(path))}): the same names, shapes and layouts
   * {@link #load} reads. BatchNorm's {@code num_batches_tracked} (an int64 PyTorch fills in when
   * it is missing) is left out.
   */
  static void save(Model model, Path file, Map<String, String> modules) throws IOException {
    List<Checkpoint.Tensor> tensors = new java.util.ArrayList<>();
    for (Expected e : expected(model, modules).values()) {
      float[] values = new float[e.count()];
      transfer(e, values, e.state() ? model.state() : model.parameters(), false);
      tensors.add(new Checkpoint.Tensor(e.name(), e.shape(), values));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt"); // what safetensors.torch.save_file writes
    metadata.put("network", model.name());
    Checkpoint.write(metadata, tensors, file);
  }

  /** The tensors a state dict of {@code model} holds, by PyTorch name. */
  private static Map<String, Expected> expected(Model model, Map<String, String> modules) {
    for (String layer : modules.keySet()) {
      model.layer(layer); // a misspelt layer is an error, not a mapping that never applies
    }
    Map<String, Expected> expected = new LinkedHashMap<>();
    for (Layer layer : model.layers()) {
      if (layer.parameterCount() == 0) {
        continue;
      }
      Operation op =
          layer.operation()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "layer " + layer.name() + " of " + model.name() + " does not say what it"
                              + " computes (Layer.operation() is empty): only generated models"
                              + " load PyTorch state dicts"));
      String module = modules.getOrDefault(layer.name(), layer.name());
      int[] w = layer.weightShape();
      switch (op.kind()) {
        case CONV_2D -> add(expected, new Expected(module + ".weight", new int[] {w[3], w[2], w[0], w[1]},
            Layout.CONV, layer, layer.weightOffset(), layer.weightCount(), false, null));
        case DEPTHWISE_CONV_2D -> add(expected, new Expected(module + ".weight",
            new int[] {w[2] * w[3], 1, w[0], w[1]}, Layout.DEPTHWISE, layer, layer.weightOffset(),
            layer.weightCount(), false, null));
        case DENSE -> add(expected, new Expected(module + ".weight", new int[] {w[1], w[0]},
            Layout.DENSE, layer, layer.weightOffset(), layer.weightCount(), false,
            flattenedFrom(model, op)));
        case BATCH_NORM -> {
          int c = layer.biasCount();
          add(expected, new Expected(module + ".weight", new int[] {c}, Layout.SAME, layer,
              layer.weightOffset(), c, false, null));
          add(expected, new Expected(module + ".running_mean", new int[] {c}, Layout.SAME, layer,
              layer.stateOffset(), c, true, null));
          add(expected, new Expected(module + ".running_var", new int[] {c}, Layout.SAME, layer,
              layer.stateOffset() + c, c, true, null));
        }
        default -> throw new IllegalArgumentException(
            "layer " + layer.name() + " of " + model.name() + ": " + op.kind() + " with parameters");
      }
      if (layer.hasBias()) {
        add(expected, new Expected(module + ".bias", new int[] {layer.biasCount()}, Layout.SAME,
            layer, layer.biasOffset(), layer.biasCount(), false, null));
      }
    }
    return expected;
  }

  private static void add(Map<String, Expected> expected, Expected e) {
    if (expected.put(e.name(), e) != null) {
      throw new IllegalArgumentException(
          "two layers map to PyTorch's " + e.name() + "; give each layer a module of its own");
    }
  }

  /**
   * The spatial shape a dense layer's input was flattened from, through layers that keep their
   * values' order (flatten, dropout, activations); null if its input is a vector.
   */
  private static TensorShape flattenedFrom(Model model, Operation dense) {
    String source = dense.sources().get(0);
    while (!source.equals(Operation.INPUT)) {
      Layer layer = model.layer(source);
      if (!layer.outputShape().flat()) {
        return layer.outputShape();
      }
      Operation op = layer.operation().orElse(null);
      if (op == null
          || !(op.kind() == Operation.Kind.FLATTEN || op.kind() == Operation.Kind.DROPOUT
              || op.kind() == Operation.Kind.ACTIVATION)) {
        return null;
      }
      source = op.sources().get(0);
    }
    return model.inputShape().flat() ? null : model.inputShape();
  }

  /**
   * Moves one tensor between PyTorch's layout ({@code pytorch}, the tensor alone) and Kiln's
   * ({@code kiln}, the model's parameters or state): into Kiln's with {@code toKiln}, else out of
   * it. One loop per layout for both directions, so that saving is loading reversed.
   */
  private static void transfer(Expected e, float[] pytorch, float[] kiln, boolean toKiln) {
    int at = e.offset();
    int[] s = e.shape();
    switch (e.layout()) {
      case SAME -> {
        if (toKiln) {
          System.arraycopy(pytorch, 0, kiln, at, pytorch.length);
        } else {
          System.arraycopy(kiln, at, pytorch, 0, pytorch.length);
        }
      }
      case CONV -> {
        int out = s[0];
        int in = s[1];
        int kh = s[2];
        int kw = s[3];
        for (int o = 0; o < out; o++) {
          for (int i = 0; i < in; i++) {
            for (int y = 0; y < kh; y++) {
              for (int x = 0; x < kw; x++) {
                move(pytorch, ((o * in + i) * kh + y) * kw + x, kiln, at + ((y * kw + x) * in + i) * out + o, toKiln);
              }
            }
          }
        }
      }
      case DEPTHWISE -> {
        int[] w = e.layer().weightShape(); // [kh, kw, in, multiplier]
        int kh = w[0];
        int kw = w[1];
        int in = w[2];
        int multiplier = w[3];
        for (int c = 0; c < in; c++) {
          for (int m = 0; m < multiplier; m++) {
            for (int y = 0; y < kh; y++) {
              for (int x = 0; x < kw; x++) {
                move(pytorch, ((c * multiplier + m) * kh + y) * kw + x, kiln,
                    at + ((y * kw + x) * in + c) * multiplier + m, toKiln);
              }
            }
          }
        }
      }
      case DENSE -> {
        int out = s[0];
        int in = s[1];
        TensorShape from = e.flattened();
        for (int r = 0; r < in; r++) {
          int row = r;
          if (from != null) { // r = (c * H + y) * W + x in PyTorch's CHW; Kiln's row is HWC
            int hw = from.height() * from.width();
            int c = r / hw;
            int pixel = r % hw;
            row = pixel * from.channels() + c;
          }
          for (int o = 0; o < out; o++) {
            move(pytorch, o * in + r, kiln, at + row * out + o, toKiln);
          }
        }
      }
    }
  }

  private static void move(float[] pytorch, int p, float[] kiln, int k, boolean toKiln) {
    if (toKiln) {
      kiln[k] = pytorch[p];
    } else {
      pytorch[p] = kiln[k];
    }
  }
}
