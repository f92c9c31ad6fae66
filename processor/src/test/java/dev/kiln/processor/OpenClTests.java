package dev.kiln.processor;

import com.google.testing.compile.Compilation;
import dev.kiln.runtime.opencl.OpenCl;
import dev.kiln.runtime.opencl.OpenClDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Assumptions;

/**
 * The OpenCL device the tests share. Where CI is set, OpenCL must be there (./run-tests installs
 * PoCL): its absence fails the test. Elsewhere a missing platform skips the test and says why.
 */
final class OpenClTests {
  private static OpenClDevice device;

  private OpenClTests() {}

  static synchronized OpenClDevice device() {
    if (device == null) {
      String ci = System.getenv("CI");
      var reason = OpenCl.unavailable();
      if (reason.isPresent()) {
        if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false") && !ci.equals("0")) {
          throw new AssertionError("CI is set, so OpenCL must be available, but: " + reason.get());
        }
        String skip = "OpenCL is not available here (" + reason.get() + "); set CI=true to require it";
        // Surefire prints only a count of skipped tests: say why on the console too.
        System.out.println("SKIPPED: " + skip);
        Assumptions.abort(skip);
      }
      device = OpenCl.open(System.getProperty("kiln.opencl", ""));
      System.out.println("OpenCL tests run on " + device.info());
    }
    return device;
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
