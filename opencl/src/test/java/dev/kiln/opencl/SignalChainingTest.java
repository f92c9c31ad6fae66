package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * PoCL replaces the JVM's signal handlers, and a JVM without them dies at random later (CI saw a
 * bare "Segmentation fault" in the middle of a test run). The build and {@code ./kiln} preload the
 * JDK's signal-chaining library; these tests start a JVM that opens OpenCL and let {@code
 * -Xcheck:jni}, which compares the handlers with the JVM's own, say whether they survived.
 */
class SignalChainingTest {
  private static final Path JSIG = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");

  @Test
  void theJvmKeepsItsSignalHandlersWithTheBuildsSettings() throws Exception {
    OpenClTestDevice.shared();
    Assumptions.assumeTrue(Files.exists(JSIG), "this JDK has no " + JSIG);
    assertTrue(OpenCl.signalChaining(), "the test JVM should run with LD_PRELOAD=" + JSIG);
    String output = probe(true);
    assertFalse(output.contains("handler modified"), output);
    assertTrue(output.contains("probe listed"), output);
  }

  @Test
  void withoutSignalChainingPoclTakesTheJvmsHandlers() throws Exception {
    OpenClTestDevice.shared();
    boolean pocl = OpenCl.devices().stream().allMatch(d -> d.platform().contains("Portable Computing Language"));
    Assumptions.assumeTrue(pocl, "only PoCL is known to take the handlers; this machine has " + OpenCl.devices());
    String output = probe(false);
    assertTrue(output.contains("SIGSEGV handler modified"), output);
  }

  /** Runs {@link SignalProbe} in a new JVM, with or without the signal-chaining library. */
  private static String probe(boolean chaining) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    var builder =
        new ProcessBuilder(
                List.of(java.toString(), "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                    SignalProbe.class.getName()))
            .redirectErrorStream(true);
    if (chaining) {
      builder.environment().put("LD_PRELOAD", JSIG.toString());
    } else {
      builder.environment().remove("LD_PRELOAD");
    }
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
    return new String(output, StandardCharsets.UTF_8);
  }
}
