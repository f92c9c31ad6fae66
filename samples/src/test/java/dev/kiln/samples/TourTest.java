package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
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
 * Every Java block of docs/tour.md compiles, with the Kiln processor, as one program: the tour's
 * code is code that builds. Its pictures exist.
 */
class TourTest {
  static final Path TOUR = Path.of(System.getProperty("kiln.docs", "../docs")).resolve("tour.md");

  @TempDir Path dir;

  static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("(?ms)^```java\\n(.*?)^```").matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  @Test
  void everyJavaBlockCompilesWithTheProcessor() throws IOException {
    List<String> blocks = javaBlocks(Files.readString(TOUR));
    assertTrue(blocks.size() >= 10, "expected the tour's Java blocks, found " + blocks.size());
    List<String> arguments = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Path file = dir.resolve("src/Block" + i + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, blocks.get(i));
      arguments.add(file.toString());
    }
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
    int exit =
        javac.run(
            null, null, errors, arguments.toArray(new String[0]));
    String output = errors.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, "docs/tour.md does not compile:\n" + output);
    System.out.println("TourTest: " + blocks.size() + " Java blocks of docs/tour.md compiled");
    assertTrue(Files.exists(dir.resolve("generated/TourLeNet5Model.java")));
  }

  @Test
  void everyPictureTheTourShowsExists() throws IOException {
    Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(Files.readString(TOUR));
    int pictures = 0;
    while (m.find()) {
      Path picture = TOUR.getParent().resolve(m.group(1));
      assertTrue(Files.size(picture) > 1000, "missing or empty picture " + picture);
      pictures++;
    }
    assertTrue(pictures >= 5, "pictures: " + pictures);
  }
}
