package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export, then import: each of {@link OnnxExportTest}'s networks, exported with weights of its
 * own and imported back, compiles with Kiln's processor into the same network (every layer's
 * name, kind, sources, window, activation and epsilon, as {@link Layer#operation()} says, and
 * its shapes) with the same parameters and BatchNorm statistics, bit for bit, and computes the
 * same outputs. The one difference allowed: the activations network's {@code @Dropout} and
 * {@code @Flatten} fields are not in the ONNX graph (the identity, and Kiln's implicit flatten),
 * and its activation field {@code c2Sigmoid} comes back on its layer's field.
 */
class OnnxRoundTripTest {
  @TempDir Path dir;

  @Test
  void exportedNetworksImportAsTheyWere() throws Exception {
    Map<String, LongFunction<Model>> networks = new LinkedHashMap<>();
    networks.put("OnnxLeNet5", OnnxLeNet5Model::create);
    networks.put("OnnxCnn2", OnnxCnn2Model::create);
    networks.put("OnnxResidual", OnnxResidualModel::create);
    networks.put("OnnxInception", OnnxInceptionModel::create);
    networks.put("OnnxDepthwise", OnnxDepthwiseModel::create);
    networks.put("OnnxActivations", OnnxActivationsModel::create);
    networks.put("OnnxWindows", OnnxWindowsModel::create);
    networks.put("OnnxDenseOnly", OnnxDenseOnlyModel::create);
    Map<String, Model> originals = new LinkedHashMap<>();
    List<String> sources = new ArrayList<>();
    Path src = dir.resolve("src");
    Files.createDirectories(src);
    for (Map.Entry<String, LongFunction<Model>> n : networks.entrySet()) {
      Model model = n.getValue().apply(5);
      OnnxExportTest.perturb(model, new Random(23));
      Path file = dir.resolve(n.getKey() + ".onnx");
      Onnx.export(model, file);
      ImportedNetwork imported = Onnx.importModel(file, "roundtrip", n.getKey());
      imported.write(src, false);
      sources.add(imported.sourceFile(src).toString());
      originals.put(n.getKey(), model);
    }
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> arguments = new ArrayList<>(List.of(
        "-classpath", System.getProperty("java.class.path"),
        "-processor", "dev.kiln.processor.KilnProcessor",
        "-d", classes.toString(), "--release", "17", "-Xlint:all,-processing,-options"));
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
      boolean compiled =
          javac.getTask(null, files, diagnostics, arguments, null,
              files.getJavaFileObjectsFromStrings(sources)).call();
      // The one warning is the windows network's own (its c3 is declared with it).
      assertTrue(compiled && diagnostics.getDiagnostics().stream()
              .noneMatch(d -> d.getKind() != Diagnostic.Kind.NOTE
                  && !d.getMessage(null).contains("[kiln:stride-drops-input] c3: ")),
          "the imported declarations compile without a warning: " + diagnostics.getDiagnostics());
    }
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      for (Map.Entry<String, Model> n : originals.entrySet()) {
        Model original = n.getValue();
        Model imported =
            (Model) loader.loadClass("roundtrip." + n.getKey() + "Model")
                .getMethod("create", long.class).invoke(null, 0L);
        Checkpoint.load(imported, src.resolve("roundtrip/" + n.getKey() + ".safetensors"));
        assertArrayEquals(original.parameters(), imported.parameters(), 0f, n.getKey());
        assertArrayEquals(original.state(), imported.state(), 0f, n.getKey());
        if (!n.getKey().equals("OnnxActivations")) {
          assertEquals(describe(original), describe(imported), n.getKey());
        }
        Random random = new Random(29);
        float[] x = new float[original.inputSize()];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextFloat() * 2 - 1;
        }
        assertArrayEquals(original.predict(x), imported.predict(x), 0f, n.getKey());
      }
    }
  }

  /** Every layer as the exporter sees it: name, operation, shapes. */
  private static String describe(Model model) {
    StringBuilder s = new StringBuilder(model.inputShape() + "\n");
    for (Layer layer : model.layers()) {
      s.append(layer.name()).append(' ').append(layer.operation().orElseThrow()).append(' ')
          .append(layer.outputShape()).append('\n');
    }
    return s.toString();
  }
}
