package dev.kiln.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing a device by index, type and name, and what a machine without OpenCL is told. */
class OpenClDevicesTest {
  @Test
  void devicesAreChosenByIndexTypeAndName() {
    OpenClTestDevice.shared();
    List<DeviceInfo> all = OpenCl.devices();
    for (DeviceInfo device : all) {
      assertEquals(device, OpenCl.find(Integer.toString(device.index())), "by index");
      assertEquals(
          all.stream().filter(d -> d.type().equals(device.type())).findFirst().orElseThrow(),
          OpenCl.find(device.type().toLowerCase(Locale.ROOT)), "by type: the first of it");
      DeviceInfo byName = OpenCl.find(device.name().toUpperCase(Locale.ROOT));
      assertTrue(byName.name().equalsIgnoreCase(device.name()), "by name, ignoring case: " + byName);
    }
    DeviceInfo preferred = OpenCl.find("");
    assertEquals(OpenCl.find("default"), preferred);
    assertTrue(
        preferred.type().equals("GPU") || all.stream().noneMatch(d -> d.type().equals("GPU")),
        "the default is a GPU where there is one: " + preferred);

    OpenClException tooHigh = assertThrows(OpenClException.class, () -> OpenCl.find(Integer.toString(all.size())));
    assertTrue(tooHigh.getMessage().startsWith("no OpenCL device " + all.size() + ": there are " + all.size()),
        tooHigh.getMessage());
    assertTrue(tooHigh.getMessage().contains(all.get(0).describe()), "the message lists the devices");
  }

  /**
   * A JVM whose OpenCL loader finds no platform (an empty vendor directory) gets a clear reason
   * from every entry point and goes on; nothing crashes.
   */
  @Test
  void withoutAPlatformEveryEntryPointSaysWhyAndTheJvmGoesOn(@TempDir Path noVendors) throws Exception {
    OpenClTestDevice.shared(); // The loader itself must be installed for this to say anything.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), NoPlatformProbe.class.getName())
            .redirectErrorStream(true);
    builder.environment().put("OCL_ICD_VENDORS", noVendors.toString());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
    assertEquals(0, process.exitValue(), output);
    for (String entry : List.of("unavailable", "devices", "open")) {
      assertTrue(
          output.contains(entry + ": no OpenCL platform is installed")
              && output.contains("apt-get install pocl-opencl-icd ocl-icd-libopencl1"),
          entry + " should say why:\n" + output);
    }
    assertTrue(output.contains("probe done"), output);
  }

  /** Started by the test above in a JVM that sees no OpenCL platform. */
  public static final class NoPlatformProbe {
    private NoPlatformProbe() {}

    public static void main(String[] args) {
      System.out.println("unavailable: " + OpenCl.unavailable().orElse("(nothing: OpenCL is there)"));
      try {
        System.out.println("devices: listed " + OpenCl.devices());
      } catch (OpenClException e) {
        System.out.println("devices: " + e.getMessage());
      }
      try (var device = OpenCl.open("gpu")) {
        System.out.println("open: opened " + device.info());
      } catch (OpenClException e) {
        System.out.println("open: " + e.getMessage());
      }
      System.out.println("probe done");
    }
  }
}
