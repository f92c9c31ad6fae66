package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The FMA-chain probe builds and runs on the test device and gives a plausible rate. */
class DevicePeakTest {
  @Test
  void measuresAPositiveFiniteRate() {
    OpenClDevice device = OpenClTestDevice.shared();
    int handles = OpenCl.liveHandles();
    DevicePeak peak = DevicePeak.measure(device, 0.1);
    System.out.println("DevicePeakTest on " + device.info() + ": " + peak.describe());
    assertTrue(Double.isFinite(peak.gflops()) && peak.gflops() > 0, peak.describe());
    assertTrue(peak.launches() >= 3, peak.describe());
    assertTrue(peak.workItems() >= device.info().computeUnits(), peak.describe());
    // The program stays built with the device; the kernel and its buffer are released.
    assertTrue(OpenCl.liveHandles() <= handles + 1, "handles before " + handles + ", after " + OpenCl.liveHandles());
  }
}
