package dev.kiln.samples.commands;

import static dev.kiln.samples.commands.KilnCommandLine.kiln;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.Onnx;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Model;
import dev.kiln.samples.commands.KilnCommandLine.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./kiln import} on the samples' LeNet-5 exported as ONNX: it writes the declaration and
 * the weights under {@code --out} in the package's folders, the weights load into the samples'
 * LeNet-5 as they were, and its output ends with the RESULT line; and its errors, each one line,
 * exit status 2 for the command line and 1 for the model, nothing written.
 */
class ImportCommandTest {
  @TempDir Path dir;

  private Path exportedLeNet5(Model net) throws Exception {
    Random random = new Random(7);
    float[] p = net.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) (0.05 * random.nextGaussian());
    }
    Path file = dir.resolve("lenet5.onnx");
    Onnx.export(net, file);
    return file;
  }

  @Test
  void writesTheDeclarationAndWeightsThatLoadIntoTheNetwork() throws Exception {
    Model net = ShowCommand.networks().get("lenet5").apply(3);
    Path model = exportedLeNet5(net);
    Path out = Files.createDirectories(dir.resolve("src/main/java"));
    Run run = kiln("import", model.toString(), "--name", "LeNet", "--package", "com.acme.vision",
        "--out", out.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals("", run.err());
    Path java = out.resolve("com/acme/vision/LeNet.java");
    Path weights = out.resolve("com/acme/vision/LeNet.safetensors");
    String source = Files.readString(java);
    assertTrue(source.startsWith("package com.acme.vision;\n"), source);
    for (String line : List.of(
        "@Network(input = @Shape(height = 28, width = 28, channels = 1))",
        "public abstract class LeNet {",
        "  // c1 (Conv), c1.relu (Relu)",
        "  @Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c1;",
        "  @MaxPool(size = 2) Layer s2;",
        "  @Dense(units = 120) @ReLU Layer c5;",
        "  @Dense(units = 10) @Softmax Layer output;")) {
      assertTrue(source.contains(line + "\n"), line + " in\n" + source);
    }
    Model loaded = ShowCommand.networks().get("lenet5").apply(99);
    Checkpoint.load(loaded, weights);
    assertArrayEquals(net.parameters(), loaded.parameters(), 0f);
    String last = run.out().lines().reduce((a, b) -> b).orElseThrow();
    assertEquals(
        "RESULT task=import model=" + model + " class=com.acme.vision.LeNet out=" + out
            + " source=" + java + " weights=" + weights + " opset=13 input=28x28x1"
            + " input_layout=NHWC output=[10] layers=7 params=" + net.parameterCount(),
        last);
    assertTrue(
        run.out().lines().anyMatch(l -> l.matches(
            "c5 +@Dense\\(units = 120\\) @ReLU +\\[120\\] +48,120  c5 \\(Gemm\\), c5.relu \\(Relu\\)")),
        run.out());

    // Again: the declaration stays without --force, and is replaced with it.
    Files.writeString(java, "// edited\n");
    Run again = kiln("import", model.toString(), "--name", "LeNet", "--package", "com.acme.vision",
        "--out", out.toString());
    assertEquals(2, again.exit(), again.out() + again.err());
    assertEquals(
        "kiln import: " + java + " exists; pass --force to replace it (and LeNet.safetensors)\n",
        again.err());
    assertEquals("// edited\n", Files.readString(java));
    Run forced = kiln("import", model.toString(), "--name", "LeNet", "--package", "com.acme.vision",
        "--out", out.toString(), "--force");
    assertEquals(0, forced.exit(), forced.err());
    assertEquals(source, Files.readString(java));
  }

  @Test
  void errorsAreOneLineAndWriteNothing() throws Exception {
    Path model = exportedLeNet5(ShowCommand.networks().get("lenet5").apply(3));
    Path out = Files.createDirectories(dir.resolve("out"));

    Run missingOut = kiln("import", model.toString(), "--out", dir.resolve("nowhere").toString());
    assertEquals(2, missingOut.exit());
    assertEquals("kiln import: --out " + dir.resolve("nowhere") + " does not exist; give the source"
        + " root to write under, e.g. src/main/java\n", missingOut.err());

    Run badName = kiln("import", model.toString(), "--name", "3D", "--out", out.toString());
    assertEquals(2, badName.exit());
    assertEquals("kiln import: --name 3D is not a Java class name\n", badName.err());

    Path text = dir.resolve("notes.onnx");
    Files.writeString(text, "not a model\n");
    Run notOnnx = kiln("import", text.toString(), "--name", "Notes", "--out", out.toString());
    assertEquals(1, notOnnx.exit());
    assertTrue(notOnnx.err().startsWith("kiln import: " + text + " is not an ONNX model, or is"
        + " truncated"), notOnnx.err());
    assertEquals(1, notOnnx.err().lines().count(), notOnnx.err());

    Run missing = kiln("import", dir.resolve("absent.onnx").toString(), "--out", out.toString());
    assertEquals(1, missing.exit());
    assertEquals("kiln import: " + dir.resolve("absent.onnx") + ": no such ONNX file\n", missing.err());

    try (var files = Files.list(out)) {
      assertFalse(files.findAny().isPresent(), "nothing written");
    }
  }
}
