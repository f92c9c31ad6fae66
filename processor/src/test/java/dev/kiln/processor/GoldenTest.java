package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.testing.compile.Compilation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generated code compared with golden files, Java and OpenCL, so every change to generated code
 * shows up in review as a diff: LeNet-5, and a small graph with every kind that a chain lacks (a
 * BatchNorm that folds and one that does not, a residual Add, a Concat, Dropout). Regenerate with
 * {@code mvn test -pl processor -Dtest=GoldenTest -Dkiln.golden.update=true}.
 */
class GoldenTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden");

  /** A network and its declaration's body lines. */
  record Golden(String name, String input, String[] body) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Golden> networks() {
    return Stream.of(
        new Golden("LeNet5", "height = 28, width = 28, channels = 1", Networks.LENET5),
        new Golden(
            "ResidualBlock",
            "height = 8, width = 8, channels = 2",
            new String[] {
              "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, bias = false) Layer stem;",
              "@BatchNorm @ReLU Layer stemNorm;",
              "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @ReLU Layer branchA;",
              "@Conv2D(filters = 4, kernel = 1) @From(\"stemNorm\") Layer branchB;",
              "@BatchNorm Layer branchBNorm;",
              "@Add @From({\"branchA\", \"branchBNorm\"}) @ReLU Layer sum;",
              "@Concat @From({\"sum\", \"stemNorm\"}) Layer both;",
              "@MaxPool(size = 2, stride = 2) Layer pool;",
              "@Dropout(rate = 0.25) Layer drop;",
              "@Dense(units = 10) @Softmax Layer output;"
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void generatedCodeMatchesTheGoldenFiles(Golden golden) throws IOException {
    JavaFileObject source = Networks.network(golden.name(), golden.input(), golden.body());
    Compilation compilation = Networks.compile(source);
    assertThat(compilation).succeededWithoutWarnings();
    String model = golden.name() + "Model";
    compare(
        model + ".java",
        compilation.generatedSourceFile("test." + model).orElseThrow().getCharContent(true).toString());
    compare(
        model + ".cl",
        compilation
            .generatedFile(StandardLocation.CLASS_OUTPUT, "test", model + ".cl")
            .orElseThrow()
            .getCharContent(true)
            .toString());
  }

  private static void compare(String file, String generated) throws IOException {
    Path golden = GOLDEN.resolve(file);
    if (Boolean.getBoolean("kiln.golden.update")) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, generated, StandardCharsets.UTF_8);
    }
    assertEquals(
        Files.readString(golden, StandardCharsets.UTF_8),
        generated,
        file + ": generated code changed; review the diff and rerun with -Dkiln.golden.update=true");
  }
}
