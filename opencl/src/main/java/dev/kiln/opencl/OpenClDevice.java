package dev.kiln.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_program;

/**
 * An open OpenCL device: a context and an in-order command queue on it, and the programs built
 * for it. A program is built once per source and device and reused by every model bound to the
 * device ({@link OpenClModel}). Closing the device releases all of it; close the models first.
 * Not thread-safe: use one device from one thread at a time.
 */
public final class OpenClDevice implements AutoCloseable {
  static final String BUILD_OPTIONS = System.getProperty("kiln.opencl.options", "-cl-std=CL1.2 -cl-unsafe-math-optimizations");
  private final DeviceInfo info;
  final cl_context context;
  final cl_command_queue queue;
  private final Map<String, Built> programs = new LinkedHashMap<>();
  private boolean closed;

  /** A built program and how long its build took. */
  record Built(cl_program program, double buildSeconds) {}

  // clCreateCommandQueue is deprecated since OpenCL 2.0, but 1.2 devices have nothing else.
  @SuppressWarnings("deprecation")
  OpenClDevice(DeviceInfo info) {
    this.info = info;
    try {
      cl_context_properties properties = new cl_context_properties();
      properties.addProperty(CL_CONTEXT_PLATFORM, info.platformId());
      context =
          Handles.created(
              CL.clCreateContext(properties, 1, new cl_device_id[] {info.deviceId()}, null, null, null));
      cl_command_queue q;
      try {
        q = Handles.created(CL.clCreateCommandQueue(context, info.deviceId(), 0, null));
      } catch (CLException e) {
        CL.clReleaseContext(context);
        Handles.released();
        throw e;
      }
      queue = q;
    } catch (CLException e) {
      throw new OpenClException("could not open " + info + ": " + e.getMessage(), e);
    }
  }

  /** The options every program is built with ({@code -Dkiln.opencl.options} replaces them). */
  public static String buildOptions() {
    return BUILD_OPTIONS;
  }

  public DeviceInfo info() {
    return info;
  }

  /**
   * The program for {@code source}, built on first use (the build's time is then {@link
   * #lastBuildSeconds}).
   *
   * @throws OpenClException with the compiler's log and the source around each line it names,
   *     if the program does not build
   */
  Built program(String source) {
    checkOpen();
    Built built = programs.get(source);
    if (built != null) {
      return built;
    }
    long start = System.nanoTime();
    cl_program program =
        Handles.created(CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, null));
    try {
      CL.clBuildProgram(program, 1, new cl_device_id[] {info.deviceId()}, BUILD_OPTIONS, null, null);
    } catch (CLException e) {
      String log = buildLog(program);
      CL.clReleaseProgram(program);
      Handles.released();
      throw new OpenClException(
          "the OpenCL program did not build on " + info + " (" + e.getMessage() + ").\nBuild log:\n"
              + log + "\n" + excerpt(source, log));
    }
    built = new Built(program, (System.nanoTime() - start) / 1e9);
    programs.put(source, built);
    return built;
  }

  /** Builds {@code source} (or finds it built) and returns the build's seconds (0 if cached). */
  public double build(String source) {
    boolean cached = programs.containsKey(source);
    Built built = program(source);
    return cached ? 0 : built.buildSeconds();
  }

  private String buildLog(cl_program program) {
    try {
      long[] size = new long[1];
      CL.clGetProgramBuildInfo(program, info.deviceId(), CL_PROGRAM_BUILD_LOG, 0, null, size);
      byte[] bytes = new byte[(int) size[0]];
      CL.clGetProgramBuildInfo(program, info.deviceId(), CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
      return OpenCl.trim(bytes);
    } catch (CLException e) {
      return "(no build log: " + e.getMessage() + ")";
    }
  }

  private static final Pattern LINE = Pattern.compile(":(\\d+):(\\d+):");

  /** The source around the first few lines the log names, numbered, with the line marked. */
  static String excerpt(String source, String log) {
    String[] lines = source.split("\n", -1);
    List<Integer> named = new ArrayList<>();
    Matcher m = LINE.matcher(log);
    while (m.find() && named.size() < 3) {
      int line = Integer.parseInt(m.group(1));
      if (line >= 1 && line <= lines.length && !named.contains(line)) {
        named.add(line);
      }
    }
    if (named.isEmpty()) {
      return "(the log names no line of the source)";
    }
    StringBuilder out = new StringBuilder("Generated source around the failing line(s):\n");
    for (int line : named) {
      for (int k = Math.max(1, line - 3); k <= Math.min(lines.length, line + 3); k++) {
        out.append(k == line ? ">> " : "   ").append(String.format("%5d  ", k)).append(lines[k - 1]).append('\n');
      }
      out.append("   ...\n");
    }
    return out.toString();
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException(info + " is closed");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Every release is attempted even if one fails; the first failure is rethrown at the end.
    RuntimeException first = null;
    for (Built built : programs.values()) {
      first = attempt(() -> CL.clReleaseProgram(built.program()), first);
    }
    programs.clear();
    first = attempt(() -> CL.clReleaseCommandQueue(queue), first);
    first = attempt(() -> CL.clReleaseContext(context), first);
    if (first != null) {
      throw first;
    }
  }

  private static RuntimeException attempt(Runnable release, RuntimeException first) {
    try {
      release.run();
    } catch (RuntimeException e) {
      first = first == null ? e : first;
    }
    Handles.released();
    return first;
  }

  @Override
  public String toString() {
    return info.toString();
  }
}
