package dev.kiln.processor;

import com.google.testing.compile.Compilation;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClTestDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import javax.tools.JavaFileObject;

/**
 * The OpenCL device the tests share, under kiln-opencl's rule ({@link OpenClTestDevice}): where CI
 * is set, OpenCL must be there; elsewhere a missing platform skips the test and says why.
 */
final class OpenClTests {
  private OpenClTests() {}

  static OpenClDevice device() {
    return OpenClTestDevice.shared();
  }

  /** The OpenCL programs of a compilation, by generated class simple name ({@code NetModel}). */
  static Map<String, String> programs(Compilation compilation) {
    Map<String, String> programs = new HashMap<>();
    for (JavaFileObject file : compilation.generatedFiles()) {
      String path = file.toUri().getPath();
      if (path.endsWith(".cl")) {
        String name = path.substring(path.lastIndexOf('/') + 1, path.length() - 3);
        try {
          programs.put(name, file.getCharContent(true).toString());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return programs;
  }
}
