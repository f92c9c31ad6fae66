package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's first example, as a user copies it into a package of theirs, compiles, and its
 * generated model's layer fields can be used from another package as the README shows.
 */
class ReadmeExampleTest {
  @Test
  void theReadmesNetworkCompilesAndItsFieldsAreUsableFromAnotherPackage() throws IOException {
    String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("```java\n") + "```java\n".length();
    String example = readme.substring(start, readme.indexOf("```", start));
    assertTrue(example.contains("abstract class LeNet5"), example);
    Compilation compilation =
        Networks.compile(
            JavaFileObjects.forSourceString("app.LeNet5", "package app;\n" + example),
            JavaFileObjects.forSourceString(
                "user.Use",
                "package user;\n"
                    + "import app.LeNet5Model;\n"
                    + "class Use {\n"
                    + "  static float[] run(float[] image) {\n"
                    + "    LeNet5Model net = LeNet5Model.create(42);\n"
                    + "    net.setWeights(net.c1, new float[150]);\n"
                    + "    return net.predict(image);\n"
                    + "  }\n"
                    + "}\n"));
    assertThat(compilation).succeededWithoutWarnings();
  }
}
