package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Importing each fixture PyTorch exported ({@code src/test/resources/fixtures}) gives exactly the
 * declaration and weights committed in {@code src/test/java/dev/kiln/onnx/fixtures}, which the
 * test build compiles with Kiln's processor and {@link ImportedFixturesTest} runs against ONNX
 * Runtime. When the importer changes, review the diff and regenerate them with {@code mvn test
 * -pl onnx -am -Dtest=OnnxImportGoldenTest -Dkiln.golden.update=true}.
 */
class OnnxImportGoldenTest {
  static final Path FIXTURES = Path.of("src/test/resources/fixtures");
  static final Path SOURCES = Path.of("src/test/java");
  static final String PACKAGE = "dev.kiln.onnx.fixtures";

  @TempDir Path dir;

  /** Each fixture's file and the class its declaration is. */
  static Stream<Arguments> fixtures() {
    return Stream.of(
        Arguments.of("lenet5.onnx", "TorchLeNet5"),
        Arguments.of("cnn2.onnx", "TorchCnn2"),
        Arguments.of("resnet.onnx", "TorchResNet"),
        Arguments.of("inception.onnx", "TorchInception"),
        Arguments.of("activations.onnx", "TorchActivations"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void importGivesTheCommittedDeclarationAndWeights(String file, String className)
      throws Exception {
    ImportedNetwork network = Onnx.importModel(FIXTURES.resolve(file), PACKAGE, className);
    System.out.print("OnnxImportGoldenTest " + file + ":\n" + network.table());
    if (Boolean.getBoolean("kiln.golden.update")) {
      network.write(SOURCES, true);
      return;
    }
    network.write(dir, false);
    assertEquals(
        Files.readString(network.sourceFile(SOURCES)),
        Files.readString(network.sourceFile(dir)),
        file + ": the imported declaration changed; review the diff and rerun with"
            + " -Dkiln.golden.update=true");
    assertArrayEquals(
        Files.readAllBytes(network.weightsFile(SOURCES)),
        Files.readAllBytes(network.weightsFile(dir)),
        file + ": the imported weights changed; rerun with -Dkiln.golden.update=true");
  }
}
