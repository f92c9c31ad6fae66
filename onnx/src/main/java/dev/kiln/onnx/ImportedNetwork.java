package dev.kiln.onnx;

import dev.kiln.runtime.AtomicFiles;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.TensorShape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model turned into a Kiln network: the declaration's Java source (an ordinary annotated
 * class that {@code javac} and Kiln's processor compile) and its parameters in Kiln's layout,
 * named as Kiln's checkpoints name them, which {@link Checkpoint#load} reads into the generated
 * model.
 *
 * @param packageName the declaration's package ({@code ""} for none)
 * @param className the declaration's class; Kiln generates {@code <className>Model}
 * @param source the declaration's Java source
 * @param tensors the parameters, in Kiln's layout, in the order of the layers
 * @param layers one row per declared layer, for a summary
 * @param inputShape what the network takes, in Kiln's layout (NHWC, without the batch)
 * @param inputLayout the ONNX model's input layout: {@code NCHW}, {@code NHWC} or {@code NC}
 * @param outputShape what the network gives, in Kiln's layout
 * @param opset the ONNX operator set the model imports
 */
public record ImportedNetwork(
    String packageName,
    String className,
    String source,
    List<Checkpoint.Tensor> tensors,
    List<Layer> layers,
    TensorShape inputShape,
    String inputLayout,
    TensorShape outputShape,
    long opset) {

  /**
   * One declared layer: its field, its annotations, its output shape in Kiln's layout, its
   * parameter count and the ONNX nodes it came from.
   */
  public record Layer(
      String field, String annotations, TensorShape output, long parameters, List<String> nodes) {}

  /** The number of parameters, BatchNorm's moving statistics included. */
  public long parameterCount() {
    long n = 0;
    for (Checkpoint.Tensor t : tensors) {
      n += t.values().length;
    }
    return n;
  }

  /** The declaration's file under a source root: {@code com/acme/vision/LeNet.java}. */
  public Path sourceFile(Path sourceRoot) {
    Path dir = sourceRoot;
    if (!packageName.isEmpty()) {
      for (String part : packageName.split("\\.")) {
        dir = dir.resolve(part);
      }
    }
    return dir.resolve(className + ".java");
  }

  /** The weights' file, beside the declaration: {@code com/acme/vision/LeNet.safetensors}. */
  public Path weightsFile(Path sourceRoot) {
    return sourceFile(sourceRoot).resolveSibling(className + ".safetensors");
  }

  /**
   * Writes the declaration and its weights under {@code sourceRoot} (the package's folders made
   * as needed), each atomically. {@code sourceRoot} must be a writable directory, and an existing
   * declaration is replaced only with {@code force}; both are checked before anything is written.
   *
   * @throws FileAlreadyExistsException if the declaration exists and {@code force} is false
   * @throws NoSuchFileException if {@code sourceRoot} is not a directory
   */
  public void write(Path sourceRoot, boolean force) throws IOException {
    if (!Files.isDirectory(sourceRoot)) {
      throw new NoSuchFileException(sourceRoot.toString(), null, "not a directory");
    }
    if (!Files.isWritable(sourceRoot)) {
      throw new IOException(sourceRoot + ": not writable");
    }
    Path java = sourceFile(sourceRoot);
    if (!force && Files.exists(java)) {
      throw new FileAlreadyExistsException(
          java.toString(), null, "exists; pass --force (write(root, true)) to replace it");
    }
    Files.createDirectories(java.getParent());
    Checkpoint.save(
        className, tensors, weightsFile(sourceRoot), Map.of("source", "ONNX import"));
    byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(
        java,
        "declaration",
        channel -> {
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        });
  }

  /** The layers as a table: field, annotations, output shape, parameters, ONNX nodes. */
  public String table() {
    int field = "layer".length();
    int annotations = "declared as".length();
    int output = "output".length();
    for (Layer l : layers) {
      field = Math.max(field, l.field().length());
      annotations = Math.max(annotations, l.annotations().length());
      output = Math.max(output, l.output().toString().length());
    }
    String format = "%-" + field + "s  %-" + annotations + "s  %-" + output + "s  %10s  %s%n";
    StringBuilder table = new StringBuilder();
    table.append(String.format(format, "layer", "declared as", "output", "params", "ONNX nodes"));
    table.append(String.format(format, "input", "", inputShape, "", ""));
    for (Layer l : layers) {
      table.append(
          String.format(
              format, l.field(), l.annotations(), l.output(), String.format("%,d", l.parameters()),
              String.join(", ", l.nodes())));
    }
    return table.toString();
  }
}
