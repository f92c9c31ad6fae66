package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java blocks that declare a class (the network, the "your own data" program)
 * compile together with the Kiln processor, as a user who copies them would compile them.
 */
class ReadmeTest {
  static final Path README = Path.of(System.getProperty("kiln.docs", "../docs")).resolveSibling("README.md");

  @TempDir Path dir;

  @Test
  void theReadmesClassesCompileWithTheProcessor() throws IOException {
    List<String> arguments = new ArrayList<>();
    Pattern type = Pattern.compile("(?m)^public (?:abstract )?class (\\w+)");
    for (String block : TourTest.javaBlocks(Files.readString(README))) {
      Matcher m = type.matcher(block);
      if (m.find()) {
        Path file = dir.resolve("src/" + m.group(1) + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, block);
        arguments.add(file.toString());
      }
    }
    assertTrue(arguments.size() >= 2, "the network and the program: " + arguments);
    String classPath = System.getProperty("java.class.path");
    arguments.addAll(
        0,
        List.of(
            "-d", dir.resolve("classes").toString(),
            "-s", dir.resolve("generated").toString(),
            "-cp", classPath,
            "-processorpath", classPath,
            "-processor", "dev.kiln.processor.KilnProcessor",
            "-Xlint:all,-processing"));
    Files.createDirectories(dir.resolve("classes"));
    Files.createDirectories(dir.resolve("generated"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    int exit = javac.run(null, null, errors, arguments.toArray(new String[0]));
    assertEquals(0, exit, "README.md's classes do not compile:\n" + errors.toString(StandardCharsets.UTF_8));
    assertTrue(Files.exists(dir.resolve("classes/TrainOnMyData.class")));
  }
}
