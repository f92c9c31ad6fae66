package dev.kiln.samples.commands;

import dev.kiln.opencl.DeviceInfo;
import dev.kiln.opencl.OpenCl;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClException;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.samples.networks.LeNet5Model;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./kiln devices}: the OpenCL platforms and devices this machine has, numbered as {@code
 * --device opencl:N} counts them, and which one {@code --device opencl} picks.
 */
@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = "Lists the OpenCL devices (what --device opencl:N picks) and, with --check, builds LeNet-5's program on each.")
public final class DevicesCommand implements Callable<Integer> {
  @Option(
      names = "--check",
      description = "Also build LeNet-5's generated program on every device and run one batch of inference on it.")
  boolean check;

  @Override
  public Integer call() {
    List<DeviceInfo> devices;
    try {
      devices = OpenCl.devices();
    } catch (OpenClException e) {
      System.out.println("No OpenCL device: " + e.getMessage());
      System.out.println("RESULT task=devices count=0 default=cpu" + (check ? " check=failed" : ""));
      // Listing nothing is an answer; a check of an installation that has nothing fails.
      return check ? 1 : 0;
    }
    DeviceInfo preferred = OpenCl.find("");
    System.out.printf(
        Locale.ROOT, "%-9s  %-11s  %-28s  %-34s  %5s  %9s  %10s  %10s%n", "device", "type", "name", "platform",
        "units", "memory", "max buffer", "work group");
    for (DeviceInfo d : devices) {
      System.out.printf(
          Locale.ROOT, "%-9s  %-11s  %-28s  %-34s  %5d  %5.1f GiB  %6.1f GiB  %10d%s%n", "opencl:" + d.index(),
          d.type(), d.name(), d.platform(), d.computeUnits(), gib(d.globalMemory()), gib(d.maxAllocation()),
          d.maxWorkGroupSize(), d == preferred ? "   <- --device opencl" : "");
    }
    int failed = 0;
    for (DeviceInfo d : devices) {
      String status = "";
      if (check) {
        status = check(d);
        failed += status.startsWith(" check=failed") ? 1 : 0;
      }
      System.out.printf(
          Locale.ROOT, "RESULT task=devices device=opencl:%d type=%s name=%s platform=%s units=%d memory_bytes=%d%s%n",
          d.index(), d.type(), token(d.name()), token(d.platform()), d.computeUnits(), d.globalMemory(), status);
    }
    System.out.printf(Locale.ROOT, "RESULT task=devices count=%d default=opencl:%d%n", devices.size(), preferred.index());
    return failed == 0 ? 0 : 1;
  }

  /** Builds LeNet-5's program on the device and predicts one batch; says how it went. */
  private static String check(DeviceInfo info) {
    try (OpenClDevice device = OpenCl.open(Integer.toString(info.index()));
        OpenClModel bound = DeviceOption.bind(device, LeNet5Model.create(1), 8, System.out)) {
      float[] images = new float[8 * bound.model().inputSize()];
      float[] out = new float[8 * bound.model().outputSize()];
      bound.predictBatch(images, out);
      System.out.println("opencl:" + info.index() + " ran a batch of LeNet-5's inference");
      return String.format(Locale.ROOT, " check=ok build_s=%.2f", bound.buildSeconds());
    } catch (RuntimeException e) {
      // One device failing (JOCL's own CLException included) leaves the others to be checked.
      System.out.println("opencl:" + info.index() + " failed: " + e.getMessage());
      return " check=failed";
    }
  }

  private static double gib(long bytes) {
    return bytes / (double) (1L << 30);
  }

  /** A value for a RESULT line: no spaces. */
  private static String token(String text) {
    return text.trim().replaceAll("\\s+", "_");
  }
}
