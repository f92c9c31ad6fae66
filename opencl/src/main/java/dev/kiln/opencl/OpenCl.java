package dev.kiln.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ACCELERATOR;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Entry point to OpenCL (through JOCL): which devices there are, and opening one.
 *
 * <pre>{@code
 * try (OpenClDevice device = OpenCl.open("gpu");
 *     OpenClModel gpu = OpenClModel.bind(device, net, 64)) {
 *   OpenClTrainer.of(gpu).optimizer(Adam.lr(1e-3)).epochs(5).fit(train, test);
 * } // the weights are back in net
 * }</pre>
 *
 * <p>Where JOCL's native library cannot load, or there is no OpenCL platform or device, {@link
 * #unavailable()} says why and {@link #devices()} and {@link #open} throw an {@link
 * OpenClException} with that reason; nothing crashes the JVM.
 *
 * <p>PoCL (LLVM inside it) replaces the JVM's handlers for SIGSEGV, SIGBUS, SIGILL, SIGQUIT and
 * SIGUSR2 while it lists its devices. The JVM needs those signals itself (safepoints, implicit null
 * checks, thread suspension), so a JVM using PoCL dies at random later, with a bare "Segmentation
 * fault", unless it runs with signal chaining: {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so}, which
 * keeps the JVM's handlers and chains the library's behind them. {@code ./kiln} and the Maven build
 * set it; {@link #devices()} logs a warning where it is missing.
 */
public final class OpenCl {
  private static volatile String unavailable;
  private static volatile List<DeviceInfo> devices;

  private OpenCl() {}

  /** Why OpenCL cannot be used here, or empty when at least one device is there. */
  public static Optional<String> unavailable() {
    try {
      devices();
      return Optional.empty();
    } catch (OpenClException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** OpenCL objects (contexts, queues, programs, kernels, buffers) Kiln holds now, over all devices. */
  public static int liveHandles() {
    return Handles.LIVE.get();
  }

  /** Every device of every platform, numbered across platforms. */
  public static synchronized List<DeviceInfo> devices() {
    if (devices != null) {
      return devices;
    }
    if (unavailable != null) {
      throw new OpenClException(unavailable);
    }
    try {
      CL.setExceptionsEnabled(true);
      int[] count = new int[1];
      try {
        CL.clGetPlatformIDs(0, null, count);
      } catch (CLException e) {
        throw new OpenClException(
            "no OpenCL platform is installed (" + e.getMessage() + "); on Debian or Ubuntu,"
                + " apt-get install pocl-opencl-icd ocl-icd-libopencl1 gives one on the CPU, and a"
                + " GPU vendor's driver one for its GPU");
      }
      cl_platform_id[] platforms = new cl_platform_id[count[0]];
      CL.clGetPlatformIDs(platforms.length, platforms, null);
      List<DeviceInfo> found = new ArrayList<>();
      for (cl_platform_id platform : platforms) {
        int[] n = new int[1];
        try {
          CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
        } catch (CLException e) {
          continue; // CL_DEVICE_NOT_FOUND: a platform without devices
        }
        cl_device_id[] ids = new cl_device_id[n[0]];
        CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
        for (cl_device_id id : ids) {
          found.add(
              new DeviceInfo(
                  found.size(), platformString(platform, CL_PLATFORM_NAME),
                  deviceString(id, CL_DEVICE_NAME), type(deviceLong(id, CL_DEVICE_TYPE, Sizeof.cl_ulong)),
                  deviceString(id, CL_DEVICE_VERSION),
                  (int) deviceLong(id, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint),
                  deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong),
                  deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong),
                  deviceLong(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t),
                  platform, id));
        }
      }
      if (found.isEmpty()) {
        throw new OpenClException(
            platforms.length + " OpenCL platform(s) but no device; check the driver's installation"
                + " (clinfo lists what OpenCL sees)");
      }
      devices = List.copyOf(found);
      warnWithoutSignalChaining(devices);
      return devices;
    } catch (LinkageError e) {
      unavailable =
          "OpenCL's native library could not be loaded (" + e + "); install an OpenCL ICD loader"
              + " (Debian: ocl-icd-libopencl1) and a platform (pocl-opencl-icd, or a GPU driver)";
      throw new OpenClException(unavailable, e);
    } catch (OpenClException e) {
      unavailable = e.getMessage();
      throw e;
    } catch (CLException e) {
      unavailable = "OpenCL failed while listing devices: " + e.getMessage();
      throw new OpenClException(unavailable, e);
    }
  }

  /**
   * Opens a device: {@code ""} or {@code "default"} for the first GPU, else the first device;
   * a number for that index of {@link #devices()}; {@code gpu}, {@code cpu} or {@code
   * accelerator} for the first of that type; anything else for the first whose name or platform
   * contains it (ignoring case).
   */
  public static OpenClDevice open(String spec) {
    return new OpenClDevice(find(spec));
  }

  /** The device {@link #open} would open. */
  public static DeviceInfo find(String spec) {
    List<DeviceInfo> all = devices();
    String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.equals("default")) {
      return all.stream().filter(d -> d.type().equals("GPU")).findFirst().orElse(all.get(0));
    }
    if (s.chars().allMatch(Character::isDigit)) {
      int index = Integer.parseInt(s);
      if (index >= all.size()) {
        throw new OpenClException(
            "no OpenCL device " + index + ": there are " + all.size() + ": " + all);
      }
      return all.get(index);
    }
    for (DeviceInfo d : all) {
      if (d.type().equalsIgnoreCase(s)) {
        return d;
      }
    }
    for (DeviceInfo d : all) {
      if (d.name().toLowerCase(Locale.ROOT).contains(s) || d.platform().toLowerCase(Locale.ROOT).contains(s)) {
        return d;
      }
    }
    throw new OpenClException("no OpenCL device matches '" + spec + "'; the devices are " + all);
  }

  private static String type(long type) {
    if ((type & CL_DEVICE_TYPE_GPU) != 0) {
      return "GPU";
    } else if ((type & CL_DEVICE_TYPE_CPU) != 0) {
      return "CPU";
    } else if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
      return "ACCELERATOR";
    }
    return "OTHER";
  }

  private static void warnWithoutSignalChaining(List<DeviceInfo> devices) {
    boolean pocl = devices.stream().anyMatch(d -> d.platform().contains("Portable Computing Language"));
    if (pocl && !signalChaining()) {
      System.getLogger(OpenCl.class.getName())
          .log(
              System.Logger.Level.WARNING,
              "PoCL has replaced the JVM's signal handlers, which can crash this JVM later with a"
                  + " bare 'Segmentation fault'. Start Java with LD_PRELOAD="
                  + Path.of(System.getProperty("java.home"), "lib", "libjsig.so")
                  + " (./kiln does) to keep them.");
    }
  }

  /** Whether the JVM's signal-chaining library is preloaded, so native code cannot take its signals. */
  public static boolean signalChaining() {
    String preload = System.getenv("LD_PRELOAD");
    return preload != null && preload.contains("libjsig");
  }

  static String deviceString(cl_device_id id, int what) {
    long[] size = new long[1];
    CL.clGetDeviceInfo(id, what, 0, null, size);
    byte[] bytes = new byte[(int) size[0]];
    CL.clGetDeviceInfo(id, what, bytes.length, Pointer.to(bytes), null);
    return trim(bytes);
  }

  private static String platformString(cl_platform_id id, int what) {
    long[] size = new long[1];
    CL.clGetPlatformInfo(id, what, 0, null, size);
    byte[] bytes = new byte[(int) size[0]];
    CL.clGetPlatformInfo(id, what, bytes.length, Pointer.to(bytes), null);
    return trim(bytes);
  }

  private static long deviceLong(cl_device_id id, int what, int size) {
    if (size == Sizeof.cl_uint) {
      int[] value = new int[1];
      CL.clGetDeviceInfo(id, what, size, Pointer.to(value), null);
      return value[0] & 0xFFFFFFFFL;
    }
    long[] value = new long[1];
    CL.clGetDeviceInfo(id, what, size, Pointer.to(value), null);
    return value[0];
  }

  static String trim(byte[] bytes) {
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8).trim();
  }
}
