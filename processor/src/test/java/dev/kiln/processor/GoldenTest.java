package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.testing.compile.Compilation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * The generated LeNet-5 compared with a golden file, so every change to generated code shows up
 * in review as a diff. Regenerate with {@code mvn test -pl processor -Dkiln.golden.update=true}.
 */
class GoldenTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden/LeNet5Model.java");

  @Test
  void lenet5MatchesTheGoldenFile() throws IOException {
    JavaFileObject source =
        Networks.network(
            "LeNet5",
            "height = 28, width = 28, channels = 1",
            Networks.LENET5);
    Compilation compilation = Networks.compile(source);
    assertThat(compilation).succeededWithoutWarnings();
    String generated =
        compilation.generatedSourceFile("test.LeNet5Model").orElseThrow().getCharContent(true).toString();
    if (Boolean.getBoolean("kiln.golden.update")) {
      Files.writeString(GOLDEN, generated, StandardCharsets.UTF_8);
    }
    assertEquals(
        Files.readString(GOLDEN, StandardCharsets.UTF_8),
        generated,
        "generated code changed; review the diff and rerun with -Dkiln.golden.update=true");
  }
}
