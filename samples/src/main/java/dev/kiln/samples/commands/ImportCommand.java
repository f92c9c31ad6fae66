package dev.kiln.samples.commands;

import dev.kiln.onnx.ImportedNetwork;
import dev.kiln.onnx.Onnx;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.lang.model.SourceVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./kiln import}: an ONNX model (PyTorch's, TensorFlow's through tf2onnx, Kiln's own) as a
 * Kiln declaration and its weights, which the user commits and compiles like a hand-written
 * network (see docs/onnx.md).
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Turns an ONNX model (opset " + Onnx.IMPORT_MIN_OPSET + " to " + Onnx.IMPORT_MAX_OPSET
          + ") into a Kiln declaration, <out>/<package folders>/<name>.java, and its weights in"
          + " Kiln's layout beside it, <name>.safetensors, which Checkpoint.load reads into the"
          + " generated <name>Model. Prints the imported layers; the model takes NHWC input."
    })
public final class ImportCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX model to import.")
  Path model;

  @Option(
      names = "--name",
      paramLabel = "CLASS",
      description = "The declaration's class name (default: from the file name, lenet5.onnx -> Lenet5).")
  String name;

  @Option(
      names = "--package",
      paramLabel = "PACKAGE",
      description = "The declaration's package, e.g. com.acme.vision (default: none).")
  String packageName = "";

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "The source root to write under, e.g. src/main/java; it must exist (default: .).")
  Path out = Path.of(".");

  @Option(names = "--force", description = "Replace an existing declaration and weights.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    PrintStream stdout = System.out;
    String className = name != null ? name : className(model);
    if (!SourceVersion.isName(className) || className.contains(".")) {
      throw new UsageError(
          "--name " + className + " is not a Java class name"
              + (name == null ? " (from the file name; give --name)" : ""));
    }
    if (!packageName.isEmpty() && !SourceVersion.isName(packageName)) {
      throw new UsageError("--package " + packageName + " is not a Java package name");
    }
    if (!Files.isDirectory(out)) {
      throw new UsageError(
          "--out " + out + (Files.exists(out) ? " is not a directory" : " does not exist")
              + "; give the source root to write under, e.g. src/main/java");
    }
    if (!Files.isWritable(out)) {
      throw new UsageError("--out " + out + " cannot be written here (permission denied)");
    }
    if (!Files.isRegularFile(model)) {
      throw new NoSuchFileException(model + ": no such ONNX file");
    }
    // Where it goes, checked before the model is read: an existing declaration stays without
    // --force.
    Path java =
        (packageName.isEmpty() ? out : out.resolve(packageName.replace('.', '/')))
            .resolve(className + ".java");
    Path weights = java.resolveSibling(className + ".safetensors");
    if (!force && Files.exists(java)) {
      throw new UsageError(
          java + " exists; pass --force to replace it (and " + weights.getFileName() + ")");
    }
    long start = System.nanoTime();
    ImportedNetwork network = Onnx.importModel(model, packageName, className);
    network.write(out, force);
    long millis = (System.nanoTime() - start) / 1_000_000;
    String qualified = packageName.isEmpty() ? className : packageName + "." + className;
    stdout.printf(
        "Imported %s (opset %d): input %s (%s in the model; Kiln takes NHWC), output %s%n",
        model, network.opset(), network.inputShape(), network.inputLayout(), network.outputShape());
    stdout.print(network.table());
    stdout.printf(
        "Wrote %s and %s: %s, %d layers, %,d parameters, in %d ms%n",
        java, weights.getFileName(), qualified, network.layers().size(), network.parameterCount(),
        millis);
    stdout.printf(
        "Compile it with Kiln's processor, then: %sModel net = %sModel.create(0);"
            + " Checkpoint.load(net, Path.of(\"%s\")); net.predict(nhwcImage)%n",
        className, className, weights);
    stdout.println(
        "RESULT task=import model=" + model + " class=" + qualified + " out=" + out
            + " source=" + java + " weights=" + weights + " opset=" + network.opset()
            + " input=" + network.inputShape() + " input_layout=" + network.inputLayout()
            + " output=" + network.outputShape().toString().replace(" ", "")
            + " layers=" + network.layers().size() + " params=" + network.parameterCount());
    return 0;
  }

  /** {@code lenet5.onnx} -> {@code Lenet5}; {@code my-net.onnx} -> {@code MyNet}. */
  static String className(Path file) {
    String base = String.valueOf(file.getFileName()).replaceFirst("\\.onnx$", "");
    StringBuilder b = new StringBuilder();
    boolean upper = true;
    for (char c : base.toCharArray()) {
      if (Character.isLetterOrDigit(c)) {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      } else {
        upper = true;
      }
    }
    return b.toString();
  }
}
