package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each library module is installed with a sources jar and a javadoc jar beside its jar, so that an
 * IDE shows Kiln's code and documentation; both are this build's.
 */
class LibraryJarsTest {

  @ParameterizedTest
  @CsvSource({
    "annotations, kiln-annotations, dev/kiln/annotations/Network",
    "runtime, kiln-runtime, dev/kiln/runtime/Model",
    "opencl, kiln-opencl, dev/kiln/opencl/OpenCl",
    "onnx, kiln-onnx, dev/kiln/onnx/Onnx",
    "processor, kiln-processor, dev/kiln/processor/KilnProcessor"
  })
  void sourcesAndJavadocJarsAreInstalledBesideTheJar(String module, String artifact, String type) throws Exception {
    InstalledKiln.requireThisBuilds(module, artifact);
    for (String classifier : new String[] {"sources", "javadoc"}) {
      Path installed = InstalledKiln.installed(artifact, classifier);
      assertTrue(Files.isRegularFile(installed), installed + " is not installed");
      assertEquals(-1, Files.mismatch(InstalledKiln.built(module, artifact, classifier), installed),
          installed + " is not this build's");
    }
    try (JarFile sources = new JarFile(InstalledKiln.installed(artifact, "sources").toFile())) {
      assertNotNull(sources.getEntry(type + ".java"), type + ".java in the sources jar");
    }
    try (JarFile javadoc = new JarFile(InstalledKiln.installed(artifact, "javadoc").toFile())) {
      assertNotNull(javadoc.getEntry("index.html"), "index.html in the javadoc jar");
      assertNotNull(javadoc.getEntry(type + ".html"), type + ".html in the javadoc jar");
    }
  }
}
