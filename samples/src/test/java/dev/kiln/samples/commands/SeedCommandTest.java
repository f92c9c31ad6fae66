package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.samples.Kiln;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The samples, built with Kiln on the annotation processor path as a user's build would. */
class SeedCommandTest {

  @Test
  void everySeedExampleMatchesTensorFlow() {
    List<SeedExamples.Check> checks = new SeedExamples(new PrintStream(OutputStream.nullOutputStream())).run();
    assertEquals(16, checks.size());
    for (SeedExamples.Check check : checks) {
      assertEquals(check.expected(), check.actual(), check.name());
    }
  }

  @Test
  void seedCommandEndsWithResultLines() {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = Kiln.run("seed");
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, output);
    assertTrue(
        output.strip().endsWith("RESULT task=seed checks=16 passed=16 failed=0"), output);
  }

  @Test
  void unknownOptionsFailWithUsage() {
    PrintStream original = System.err;
    try {
      System.setErr(new PrintStream(OutputStream.nullOutputStream()));
      assertNotEquals(0, Kiln.run("seed", "--no-such-option"));
      assertNotEquals(0, Kiln.run("no-such-command"));
      assertNotEquals(0, Kiln.run("summary", "vgg99"));
    } finally {
      System.setErr(original);
    }
  }
}
