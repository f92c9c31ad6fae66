package dev.kiln.opencl;

import org.junit.jupiter.api.Assumptions;

/**
 * The rule every OpenCL test follows, here and (through this module's test jar) in the processor
 * and the samples: where CI is set, OpenCL must be there (./run-tests installs PoCL) and its
 * absence fails the test; elsewhere a missing platform skips the test and says why.
 */
public final class OpenClTestDevice {
  private static OpenClDevice device;

  private OpenClTestDevice() {}

  /** Returns where OpenCL is there; fails the test where CI is set and it is not, else skips it. */
  public static void require() {
    var reason = OpenCl.unavailable();
    if (reason.isPresent()) {
      if (ci()) {
        throw new AssertionError("CI is set, so OpenCL must be available, but: " + reason.get());
      }
      String skip = "OpenCL is not available here (" + reason.get() + "); set CI=true to require it";
      // Surefire prints only a count of skipped tests: say why on the console too.
      System.out.println("SKIPPED: " + skip);
      Assumptions.abort(skip);
    }
  }

  /** The device the tests of one JVM share ({@code -Dkiln.opencl=...} picks one), after {@link #require}. */
  public static synchronized OpenClDevice shared() {
    if (device == null) {
      require();
      device = OpenCl.open(System.getProperty("kiln.opencl", ""));
      System.out.println("OpenCL tests run on " + device.info());
    }
    return device;
  }

  /** Whether the CI environment variable is set to something other than false or 0. */
  public static boolean ci() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
  }
}
