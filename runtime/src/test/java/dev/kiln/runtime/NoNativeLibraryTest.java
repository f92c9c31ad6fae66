package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * A CPU-only user depends on the runtime and gets no native library: OpenCL (JOCL) is the {@code
 * kiln-opencl} module's. Read from this module's own class path, so a change that brings JOCL, or
 * any jar with a native library, back into the runtime's dependencies fails here.
 */
class NoNativeLibraryTest {

  @Test
  void joclIsNotOnTheRuntimesClassPath() {
    assertThrows(
        ClassNotFoundException.class,
        () -> Class.forName("org.jocl.CL", false, NoNativeLibraryTest.class.getClassLoader()),
        "JOCL belongs to kiln-opencl, not to kiln-runtime");
  }

  @Test
  void noJarOnTheClassPathCarriesANativeLibrary() throws IOException {
    List<String> natives = new ArrayList<>();
    int jars = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      if (!entry.endsWith(".jar") || !Files.isRegularFile(path)) {
        continue;
      }
      jars++;
      try (JarFile jar = new JarFile(path.toFile())) {
        jar.stream()
            .map(e -> e.getName().toLowerCase(Locale.ROOT))
            .filter(n -> n.endsWith(".so") || n.endsWith(".dll") || n.endsWith(".dylib") || n.endsWith(".jnilib"))
            .forEach(n -> natives.add(path.getFileName() + "!" + n));
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + path, e);
      }
    }
    // Not vacuous: the test's own dependencies (JUnit, ArchUnit) are jars on this class path.
    assertTrue(jars > 0, "no jar found on " + System.getProperty("java.class.path"));
    assertEquals(List.of(), natives, "native libraries on the runtime's class path");
  }
}
