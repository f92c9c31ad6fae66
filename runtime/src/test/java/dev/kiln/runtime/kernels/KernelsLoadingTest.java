package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JVM on the plain path never loads a class that names {@code jdk.incubator.vector}: each
 * public entry point of {@link Kernels} is called in a fresh JVM, with {@code -verbose:class},
 * without the module and with it but {@code -Dkiln.kernels=plain}; neither may load a {@code
 * Vector*} kernel class or any class of the module. With the module and {@code
 * -Dkiln.kernels=vector}, the same calls load them (so the check would see them).
 */
class KernelsLoadingTest {

  @Test
  void plainPathLoadsNoVectorClass() throws Exception {
    for (List<String> options :
        List.of(List.<String>of(), List.of("--add-modules", "jdk.incubator.vector", "-Dkiln.kernels=plain"))) {
      List<String> loaded = loadedClasses(options);
      assertTrue(loaded.contains("dev.kiln.runtime.kernels.Kernels"), options + ": " + loaded.size() + " classes");
      for (String name : loaded) {
        assertFalse(
            name.startsWith("jdk.incubator.vector.") || name.startsWith("dev.kiln.runtime.kernels.Vector"),
            options + " loaded " + name);
      }
    }
  }

  @Test
  void vectorPathLoadsTheVectorClasses() throws Exception {
    List<String> loaded = loadedClasses(List.of("--add-modules", "jdk.incubator.vector", "-Dkiln.kernels=vector"));
    assertTrue(loaded.contains("dev.kiln.runtime.kernels.Vectors"), "loaded " + loaded);
    assertTrue(loaded.contains("dev.kiln.runtime.kernels.VectorConvolution"), "loaded " + loaded);
  }

  /**
   * A JVM of 21 or newer without the module says once that it runs the slow path; one with the
   * module, one that chose the plain path, and one older than 21 (where the plain path is the
   * right one) say nothing. Runs with this JVM, and with a JDK 21+ if one is installed.
   */
  @Test
  void aJvmThatCouldVectorizeButWasNotToldToSaysSoOnce() throws Exception {
    String note = "kiln: networks run their plain-Java loops";
    List<String> javas = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
    java.io.File[] installed = new java.io.File("/usr/lib/jvm").listFiles();
    for (java.io.File jdk : installed == null ? new java.io.File[0] : installed) {
      java.io.File launcher = new java.io.File(jdk, "bin/java");
      if (launcher.canExecute() && feature(launcher.getPath()) >= 21) {
        javas.add(launcher.getPath());
        break;
      }
    }
    for (String launcher : javas) {
      int feature = feature(launcher);
      String plain = run(launcher, List.of());
      assertEquals(feature >= 21 ? 1 : 0, plain.split(note, -1).length - 1, launcher + ": " + plain);
      assertFalse(run(launcher, List.of("-Dkiln.kernels=plain")).contains(note), launcher);
      if (feature >= 21) {
        assertFalse(run(launcher, List.of("--add-modules", "jdk.incubator.vector")).contains(note), launcher);
      }
    }
  }

  private static int feature(String launcher) throws Exception {
    Process process = new ProcessBuilder(launcher, "-version").redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("version \"(\\d+)").matcher(output);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** What {@link CallEveryKernel} prints under {@code java} with {@code options}. */
  private static String run(String launcher, List<String> options) throws Exception {
    List<String> command = new ArrayList<>(List.of(launcher));
    command.addAll(options);
    command.addAll(List.of("-cp", classPath(), CallEveryKernel.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), output);
    return output;
  }

  private static String classPath() throws Exception {
    return Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        + File.pathSeparator
        + Path.of(CallEveryKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** The classes a fresh JVM with {@code options} loads while it runs {@link CallEveryKernel}. */
  private static List<String> loadedClasses(List<String> options) throws Exception {
    String classPath =
        Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            + File.pathSeparator
            + Path.of(CallEveryKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(options);
    command.addAll(List.of("-verbose:class", "-cp", classPath, CallEveryKernel.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), output);
    assertTrue(output.contains("every kernel called"), output);
    List<String> loaded = new ArrayList<>();
    for (String line : output.split("\n")) {
      // [0.020s][info][class,load] java.lang.Object source: shared objects file
      int at = line.indexOf("[class,load] ");
      if (at >= 0) {
        String rest = line.substring(at + "[class,load] ".length());
        loaded.add(rest.substring(0, rest.indexOf(' ')));
      }
    }
    return loaded;
  }

  /** Calls every public entry point of {@link Kernels} once, on small shapes. */
  static final class CallEveryKernel {
    public static void main(String[] args) {
      float[] a = new float[4096];
      float[] b = new float[4096];
      float[] c = new float[4096];
      float[] s = new float[4096];
      for (int i = 0; i < a.length; i++) {
        a[i] = i % 7 - 3;
        b[i] = i % 5 - 2;
      }
      Kernels.convolve(a, 0, 12, 2, 12, 3, 6, b, 0, b, 0, 4, c, 0, 4, 4);
      Kernels.convolve(a, 0, 0, 0, 0, 1, 20, b, 0, b, 0, 10, c, 0, 1, 1);
      Kernels.weightGradient(a, 0, 12, 2, 12, 3, 6, b, 0, 4, 4, 4, c, 0);
      Kernels.transposedProduct(a, 0, 20, 10, b, 0, c, 0);
      Kernels.outerProduct(a, 0, 20, b, 0, 10, c, 0);
      Kernels.relu(a, 0, c, 0, 37);
      Kernels.reluDerivative(a, 0, c, 0, 37);
      Kernels.biasGradient(a, 0, 9, 6, c, 0);
      Kernels.add(a, 0, b, 0, c, 0, 33);
      Kernels.maxPool(a, 0, 16, 4, 8, 2, 2, 2, c, 0, 3, 3);
      Kernels.maxPoolBackward(a, 0, 16, 4, 8, 2, 2, 2, b, 0, c, 0, 3, 3);
      Kernels.pad(a, 0, 4, 4, 2, c, 0, 1, 1, 6, 6);
      Kernels.spread(a, 0, 2, 2, 3, 2, 2, c, 0, 0, 0, 4, 4);
      Kernels.rotate(a, 0, 3, 3, 2, 4, 4, c, 0);
      int np = Kernels.planarWidth(6, 8);
      Kernels.widen(a, 0, 25, 6, np, c, 0);
      Kernels.toPlanar(a, 0, 8, 8, 1, 1, s, 0, 2, 2, 12, 12);
      Kernels.convolvePlanar(s, 0, 1, 12, 12, 2, 2, 5, 5, c, 0, np, b, 0, 6, a, 0, 8, 8, new float[4096], 0);
      Kernels.convolvePlanarPooled(s, 0, 1, 12, 12, 2, 2, 5, 5, c, 0, np, b, 0, 6, true, a, 0, 8, 8, new float[4096], 0);
      Kernels.planarColumns(14);
      int size = Kernels.weightGradientPlanarScratch(1, 5, 5, 6, 8, 8);
      Kernels.weightGradientPlanar(a, 0, 8, 8, 1, 2, 2, 5, 5, b, 0, 6, 8, 8, c, 0, Kernels.scratch(size), 0);
      Kernels.depthwiseConvolve(a, 0, 16, 4, 16, 2, 2, 4, 1, b, 0, b, 0, c, 0, 3, 3);
      Kernels.depthwiseConvolve(a, 0, 16, 4, 16, 2, 2, 2, 3, b, 0, b, -1, c, 0, 3, 3);
      Kernels.depthwiseGradients(a, 0, 16, 4, 16, 2, 2, 4, 1, b, 0, a, 0, 3, 3, c, 0, s, 0);
      System.out.println("every kernel called: " + Kernels.describe());
    }
  }
}
