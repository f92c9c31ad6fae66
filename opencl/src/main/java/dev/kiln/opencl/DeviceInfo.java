package dev.kiln.opencl;

import static org.jocl.CL.CL_DRIVER_VERSION;

import java.util.Locale;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as {@link OpenCl#devices()} lists it.
 *
 * @param index its position in the list, over all platforms (what {@code opencl:N} picks)
 * @param type {@code GPU}, {@code CPU}, {@code ACCELERATOR} or {@code OTHER}
 * @param globalMemory bytes of device memory
 * @param maxAllocation the largest single buffer, in bytes
 * @param maxWorkGroupSize the largest work group
 */
public record DeviceInfo(
    int index,
    String platform,
    String name,
    String type,
    String version,
    int computeUnits,
    long globalMemory,
    long maxAllocation,
    long maxWorkGroupSize,
    cl_platform_id platformId,
    cl_device_id deviceId) {

  /** The driver's version ({@code CL_DRIVER_VERSION}), e.g. {@code 580.159.04} for NVIDIA's, as the driver reports it. */
  public String driverVersion() {
    return OpenCl.deviceString(deviceId, CL_DRIVER_VERSION);
  }

  /** E.g. {@code opencl:0 CPU "pthread-skylake" (Portable Computing Language, 2 units, 6.0 GiB)}. */
  public String describe() {
    return String.format(
        Locale.ROOT, "opencl:%d %s \"%s\" (%s, %s, %d compute units, %.1f GiB)",
        index, type, name, platform, version, computeUnits, globalMemory / (double) (1L << 30));
  }

  @Override
  public String toString() {
    return describe();
  }
}
