package dev.kiln.samples.commands;

import dev.kiln.opencl.OpenCl;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClException;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.runtime.Model;
import java.io.PrintStream;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|opencl[:N]} (a picocli mixin): where a command trains and predicts. A plain
 * {@code opencl} falls back to the CPU, saying so, where OpenCL is missing; a device the user
 * named ({@code opencl:N}, {@code opencl:gpu}, {@code opencl:<name>}) that is not there is an error
 * that lists the devices.
 */
final class DeviceOption {
  @Option(
      names = "--device",
      defaultValue = "cpu",
      description =
          "cpu (the generated Java), or opencl for the first GPU (else the first OpenCL device),"
              + " opencl:N for device N, opencl:gpu|cpu or opencl:<name> (default: ${DEFAULT-VALUE})."
              + " A plain opencl falls back to the CPU, saying so, where OpenCL is missing.")
  String device;

  /** The chosen device's name for RESULT lines: {@code cpu} or {@code opencl:N}. */
  String chosen = "cpu";

  /**
   * Checks the option before anything is loaded: its form, and that a device the user named is
   * there.
   */
  void check() {
    String spec = spec();
    if (spec.startsWith("opencl:")) {
      try {
        OpenCl.find(device.trim().substring(7));
      } catch (OpenClException e) {
        throw new UsageError("--device " + device.trim() + ": " + e.getMessage());
      }
    }
  }

  private String spec() {
    String spec = device.trim().toLowerCase(Locale.ROOT);
    if (!spec.equals("cpu") && !spec.equals("opencl") && !spec.startsWith("opencl:")) {
      throw new UsageError(
          "--device must be cpu, opencl or opencl:<index|gpu|cpu|name>, got '" + device + "'");
    }
    return spec;
  }

  /** Opens the OpenCL device asked for, or returns null for the CPU; prints the choice. */
  OpenClDevice open(PrintStream out) {
    String spec = spec();
    if (spec.equals("cpu")) {
      out.println("Device: cpu (the generated Java code)");
      return null;
    }
    try {
      OpenClDevice opened = OpenCl.open(spec.equals("opencl") ? "" : device.trim().substring(7));
      chosen = "opencl:" + opened.info().index();
      out.println("Device: " + opened.info());
      return opened;
    } catch (OpenClException e) {
      if (!spec.equals("opencl")) {
        throw new UsageError("--device " + device.trim() + ": " + e.getMessage());
      }
      out.println("Device: cpu, falling back from " + device + ": " + e.getMessage());
      return null;
    }
  }

  /** Binds {@code model} to {@code device} and says how long its program took to build. */
  static OpenClModel bind(OpenClDevice device, Model model, int batch, PrintStream out) {
    OpenClModel bound = OpenClModel.bind(device, model, batch);
    if (bound.buildSeconds() > 0) {
      out.printf(Locale.ROOT, "Built %s's OpenCL program in %.2f s%n", model.name(), bound.buildSeconds());
    } else {
      out.printf("%s's OpenCL program was already built on this device%n", model.name());
    }
    return bound;
  }
}
