package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.samples.Kiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device opencl} on a machine where OpenCL finds no platform: the command says so, trains
 * on the CPU and reports {@code device=cpu}. Runs in its own JVM, whose OpenCL loader is pointed at
 * an empty vendor directory (without a loader at all, the same fallback applies, with another
 * reason). The bench falls back too.
 */
class DeviceFallbackTest {
  @Test
  void withoutOpenClACommandFallsBackToTheCpuAndSaysWhy(@TempDir Path noVendors) throws Exception {
    String output = kilnWithoutOpenCl(noVendors, "xor", "--device", "opencl", "--steps", "20");
    assertTrue(output.contains("Device: cpu, falling back from opencl: "), output);
    assertTrue(output.contains("no OpenCL platform is installed") || output.contains("could not be loaded"), output);
    assertTrue(output.contains("RESULT task=xor network=") && output.contains(" device=cpu"), output);
  }

  /** The bench falls back the same way and measures the CPU. */
  @Test
  void withoutOpenClTheBenchMeasuresTheCpu(@TempDir Path noVendors) throws Exception {
    Path data = SyntheticMnist.write(noVendors.resolve("mnist"), 10, 12);
    String output =
        kilnWithoutOpenCl(
            noVendors.resolve("vendors"), "bench", "--device", "opencl", "--data", data.toString(), "--workload",
            "lenet", "--metric", "I1", "--calls", "3", "--warmup", "1", "--warmup-seconds", "0", "--rounds", "1");
    assertTrue(output.contains("Device: cpu, falling back from opencl: "), output);
    assertTrue(output.contains("RESULT task=bench workload=LENET metric=I1 ") && output.contains(" device=cpu "), output);
  }

  /** Runs {@code ./kiln args} in a JVM whose OpenCL loader looks for platforms in the empty {@code noVendors}. */
  private static String kilnWithoutOpenCl(Path noVendors, String... args) throws Exception {
    Files.createDirectories(noVendors);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"), Kiln.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("OCL_ICD_VENDORS", noVendors.toString());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the command did not finish");
    assertEquals(0, process.exitValue(), output);
    return output;
  }
}
