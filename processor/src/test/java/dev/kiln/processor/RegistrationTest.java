package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How build tools find the processor: javac's service file and Gradle's incremental marker. */
class RegistrationTest {

  static String resource(String name) throws IOException {
    try (InputStream in = KilnProcessor.class.getClassLoader().getResourceAsStream(name)) {
      assertNotNull(in, name + " is missing from the processor jar");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  @Test
  void javacFindsTheProcessorThroughItsServiceFile() throws IOException {
    assertEquals(
        "dev.kiln.processor.KilnProcessor",
        resource("META-INF/services/javax.annotation.processing.Processor"));
  }

  @Test
  void gradleTreatsItAsAnIsolatingIncrementalProcessor() throws IOException {
    // Isolating: each generated model depends only on its own @Network class (its one
    // originating element), so Gradle recompiles just the networks that changed.
    assertEquals(
        "dev.kiln.processor.KilnProcessor,isolating",
        resource("META-INF/gradle/incremental.annotation.processors"));
  }
}
