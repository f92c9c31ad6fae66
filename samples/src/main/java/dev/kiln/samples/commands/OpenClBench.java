package dev.kiln.samples.commands;

import dev.kiln.opencl.DeviceInfo;
import dev.kiln.opencl.DevicePeak;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClException;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTrainer;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.samples.commands.BenchCommand.Measured;
import dev.kiln.samples.commands.BenchCommand.Metric;
import dev.kiln.samples.commands.BenchCommand.Timed;
import dev.kiln.samples.commands.BenchCommand.Workload;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./kiln bench --device opencl[:N]}: the bench's workloads and metrics on an OpenCL device.
 * T1 trains with {@link OpenClTrainer}; the inference metrics time {@link
 * OpenClModel#predictBatch} (inputs up, kernels, outputs down) and then the kernels alone ({@link
 * OpenClModel#infer} on inputs uploaded once). GFLOP/s are shares of the device's FP32 peak as
 * {@link DevicePeak} measures it. The timing itself (warm-up, rounds, median) is the CPU bench's.
 */
final class OpenClBench {
  /** A line reports the host's threads; one drives the device. */
  static final int HOST_THREADS = 1;

  private final BenchCommand bench;
  private final OpenClDevice device;
  private final String deviceName;
  private final DevicePeak peak;
  private final PrintStream out;

  /** Prints the device (with its driver) and measures its peak. */
  OpenClBench(BenchCommand bench, OpenClDevice device, String deviceName, PrintStream out) {
    this.bench = bench;
    this.device = device;
    this.deviceName = deviceName;
    this.out = out;
    DeviceInfo info = device.info();
    out.println("Driver: " + info.driverVersion() + "; OpenCL programs build with " + OpenClDevice.buildOptions());
    this.peak = DevicePeak.measure(device);
    out.println("Peak FP32 measured on " + deviceName + ": " + peak.describe() + "; peak shares are against it");
  }

  String deviceName() {
    return deviceName;
  }

  double peakGflops() {
    return peak.gflops();
  }

  /** The device's peak for the RESULT line, beside its share. */
  String peakField() {
    return String.format(Locale.ROOT, " device_peak_gflops=%.1f", peak.gflops());
  }

  /** A measurement on this device, its share of the measured peak. */
  Measured measured(Workload workload, Metric metric, double value, double gflops, String extra) {
    return new Measured(workload, metric, value, gflops, gflops / peak.gflops(), HOST_THREADS, extra, deviceName);
  }

  /** T1's training on the device, batch {@code batch}: the same schedule, shuffling and seed as on the CPU. */
  List<EpochResult> train(Model net, int batch, int epochs, LabeledImages train, LabeledImages test) {
    try (OpenClModel bound = DeviceOption.bind(device, net, batch, out)) {
      return OpenClTrainer.of(bound).optimizer(Adam.lr(BenchCommand.TRAIN_LR)).batchSize(batch).epochs(epochs)
          .seed(bench.seed).listener(new TrainingProgress(out)).fit(train, test);
    }
  }

  /**
   * I1 and the batched metrics: {@code predictBatch} of {@code metric.batch} images, copies
   * included, then the kernels alone on inputs already on the device; the median call of each.
   */
  Measured inference(Workload workload, Metric metric, Model net, float[][] images, long flopsPerImage) {
    int batch = metric.batch;
    float[] inputs = BenchCommand.batchOf(images, batch, net.inputSize());
    float[] outputs = new float[batch * net.outputSize()];
    try (OpenClModel bound = bindLargestFitting(net, batch)) {
      int capacity = bound.batchCapacity();
      out.printf(
          Locale.ROOT,
          "%s on %s: predictBatch of %d image(s) (bound for %d at a time), then the kernels alone on %d"
              + " image(s) already on the device; each warmed up, then timed call by call%n",
          metric, deviceName, batch, capacity, capacity);
      Timed withCopies = bench.timeCalls(metric, () -> bound.predictBatch(inputs, outputs));
      bound.uploadInputs(Arrays.copyOf(inputs, capacity * net.inputSize()));
      Timed kernels = bench.timeCalls(metric, () -> bound.infer(capacity));
      double perImage = BenchCommand.median(withCopies.nanos()) / batch;
      double kernelPerImage = BenchCommand.median(kernels.nanos()) / capacity;
      double gflops = flopsPerImage / perImage;
      double kernelGflops = flopsPerImage / kernelPerImage;
      String calls =
          String.format(
              Locale.ROOT,
              " calls=%d kernel_calls=%d rounds=%d warmup_calls=%d capacity=%d kernel_gflops=%.2f"
                  + " kernel_peak_share=%.4f build_s=%.2f%s stat=median",
              withCopies.nanos().length, kernels.nanos().length, bench.rounds, withCopies.warmupCalls(), capacity,
              kernelGflops, kernelGflops / peak.gflops(), bound.buildSeconds(), peakField());
      if (metric == Metric.I1) {
        out.printf(
            Locale.ROOT, "I1: median %.2f us per image with the copies, %.2f us for the kernels alone%n",
            perImage / 1e3, kernelPerImage / 1e3);
        return measured(
            workload, metric, perImage / 1e3, gflops,
            String.format(Locale.ROOT, " kernel_us_per_image=%.2f", kernelPerImage / 1e3) + calls);
      }
      out.printf(
          Locale.ROOT, "%s: %,.0f images/s with the copies, %,.0f for the kernels alone (median calls)%n",
          metric, 1e9 / perImage, 1e9 / kernelPerImage);
      return measured(
          workload, metric, 1e9 / perImage, gflops,
          String.format(Locale.ROOT, " kernel_images_per_s=%.0f", 1e9 / kernelPerImage) + calls);
    }
  }

  /**
   * {@code net} bound for {@code batch} samples, or for half as many, and so on, where the device
   * lacks the memory (ResNet-18's workspace is 28.5 MB a sample): {@code predictBatch} then runs
   * the batch in parts.
   */
  private OpenClModel bindLargestFitting(Model net, int batch) {
    for (int capacity = batch; ; capacity /= 2) {
      try {
        return DeviceOption.bind(device, net, capacity, out);
      } catch (OpenClException e) {
        // Only the memory checks end in this advice; any other failure is reported as it is.
        if (capacity == 1 || !e.getMessage().endsWith("use a smaller batch")) {
          throw e;
        }
        out.printf("Batch %d does not fit %s (%s); trying %d%n", capacity, deviceName, e.getMessage(), capacity / 2);
      }
    }
  }

  /** The device's measurements: with and without the copies, and their GFLOP/s and peak shares. */
  static void printTable(List<Measured> all) {
    System.out.println(
        "On the device (images/s, I1 in us per image; 'copies' includes the host-device copies,"
            + " 'kernels' runs on inputs already on the device; T1 trains with its copies):");
    System.out.printf(
        Locale.ROOT, "%-8s %-6s %14s %14s %9s %6s %9s %6s%n",
        "workload", "metric", "copies", "kernels", "GFLOP/s", "peak", "GFLOP/s", "peak");
    for (Measured m : all) {
      boolean latency = m.metric() == Metric.I1;
      String kernels = field(m.extra(), latency ? "kernel_us_per_image" : "kernel_images_per_s");
      String kernelGflops = field(m.extra(), "kernel_gflops");
      String kernelShare = field(m.extra(), "kernel_peak_share");
      System.out.printf(
          Locale.ROOT, "%-8s %-6s %14s %14s %9.1f %5.1f%% %9s %6s%n",
          m.workload(), m.metric(), format(m.value(), latency), kernels == null ? "—" : format(Double.parseDouble(kernels), latency),
          m.gflops(), 100 * m.peakShare(), kernelGflops == null ? "—" : kernelGflops,
          kernelShare == null ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * Double.parseDouble(kernelShare)));
    }
  }

  private static String format(double value, boolean latency) {
    return latency ? String.format(Locale.ROOT, "%.2f", value) : String.format(Locale.ROOT, "%,.0f", value);
  }

  /** The value of {@code key=} among a RESULT line's extra fields, or null. */
  private static String field(String extra, String key) {
    for (String token : extra.trim().split(" ")) {
      if (token.startsWith(key + "=")) {
        return token.substring(key.length() + 1);
      }
    }
    return null;
  }
}
