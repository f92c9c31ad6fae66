package dev.kiln.samples.commands;

import dev.kiln.opencl.OpenClDevice;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.WeightsHold;
import dev.kiln.runtime.kernels.Kernels;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.Kiln;
import dev.kiln.samples.networks.Cnn2Model;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.ResNet18Model;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./kiln bench}: the CPU workloads (LENET, SEEDCNN on MNIST; RESNET18 on random 224x224
 * images) and metrics (T1 training, I1 batch-1 latency, I16 to I4096 batched inference), with
 * GFLOP/s, the share of the machine's measured FP32 peak, and the peers' numbers beside them; with
 * {@code --device opencl[:N]}, the same on an OpenCL device ({@link OpenClBench}).
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures the CPU workloads: T1 (training images/s over one epoch of MNIST, batch 64, Adam 1e-3,"
          + " shuffled, with the epoch's time and the test accuracy after it), I1 (batch-1 latency, median"
          + " us per image, one thread; again under a WeightsHold as held_us_per_image) and I16, I64, I256, I1024, I4096 (inference images/s at that batch size,"
          + " median over the timed batches), for LENET (LeNet-5), SEEDCNN (the lecture's 2-conv CNN) and"
          + " RESNET18 (the samples' ResNet-18 on random 224x224x3 images: I1 and the batched metrics).",
      "Threads default to 2 here (the issue's setting), not to the number of processors.",
      "With --device opencl[:N] the same workloads run on an OpenCL device (OpenClModel,"
          + " OpenClTrainer): its measured FP32 peak is printed, and the inference metrics report the"
          + " rate with the host-device copies (images_per_s) and of the kernels alone"
          + " (kernel_images_per_s). See docs/opencl.md."
    })
public final class BenchCommand implements Callable<Integer> {

  /** The fixed networks. */
  enum Workload {
    LENET("LeNet-5", LeNet5Model::create, true),
    /** {@code LadderNetworks.Cnn2}: its SAME pooling on even sizes pads nothing, as 2/2 VALID. */
    SEEDCNN("the lecture's CNN (ladder rung cnn2)", Cnn2Model::create, true),
    /** {@code ImageNetNetworks.ResNet18}, He-initialized, fed seeded random images: inference only. */
    RESNET18("the samples' ResNet-18 (224x224x3, random weights and images)", ResNet18Model::create, false);

    final String title;
    final LongFunction<Model> create;
    /** Whether it runs on MNIST (and so can train, T1); else on random images of its input shape. */
    final boolean mnist;

    Workload(String title, LongFunction<Model> create, boolean mnist) {
      this.title = title;
      this.create = create;
      this.mnist = mnist;
    }
  }

  enum Metric {
    T1(0),
    I1(1),
    I16(16),
    I64(64),
    I256(256),
    I1024(1024),
    I4096(4096);

    /** Images per inference call; 0 for training. */
    final int batch;

    Metric(int batch) {
      this.batch = batch;
    }
  }

  static final int TRAIN_BATCH = 64;
  static final double TRAIN_LR = 1e-3;

  @Option(
      names = "--workload",
      split = ",",
      defaultValue = "LENET,SEEDCNN",
      description = "Workloads: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  List<Workload> workloads;

  @Option(
      names = "--metric",
      split = ",",
      defaultValue = "T1,I1,I256",
      description = "Metrics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  List<Metric> metrics;

  @Mixin MnistOptions mnistOptions;

  @Mixin DeviceOption deviceOption;

  @Option(
      names = "--batch",
      defaultValue = "" + TRAIN_BATCH,
      description = "T1: the training batch (default: ${DEFAULT-VALUE}; on a GPU, 256 uses it better).")
  int trainBatch;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--calls", defaultValue = "2000", description = "I1: timed calls per round, fewer where a call is slow (default: ${DEFAULT-VALUE}).")
  int calls;

  @Option(
      names = "--rounds",
      defaultValue = "10",
      description =
          "I1 and the batched metrics: rounds of timed calls (or batches), 0.3 s apart, pooled for the median; other"
              + " tenants of this VM's host slow it for seconds at a time (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warmup", defaultValue = "500", description = "I1: warm-up calls at least (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--batches", defaultValue = "30", description = "I16 to I1024: timed batches, over all rounds, fewer where a batch is slow (default: ${DEFAULT-VALUE}).")
  int batches;

  @Option(names = "--warmup-batches", defaultValue = "10", description = "I16 to I1024: warm-up batches at least (default: ${DEFAULT-VALUE}).")
  int warmupBatches;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "2",
      description = "I1 and the batched metrics: warm up at least this long as well (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--warm-epoch",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "T1: train a second epoch in the same JVM and report its speed too (warm_images_per_s:"
              + " the JIT has compiled the kernels by then; T1 itself stays the first epoch's)"
              + " (default: ${DEFAULT-VALUE}).")
  boolean warmEpoch;

  @Option(
      names = "--fork",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Measure each workload and metric in a fresh JVM, as JMH does, so that what the JIT"
              + " compiled for one measurement does not carry over into the next (default:"
              + " ${DEFAULT-VALUE}).")
  boolean fork;

  @Spec CommandSpec spec;

  @Option(
      names = "--clock-ghz",
      description = "Core clock for the peak estimate (default: 'cpu MHz' of /proc/cpuinfo).")
  Double clockGhz;

  /**
   * One measurement: the metric's number (images/s, or µs per image for I1) and its context;
   * {@code device} is {@code cpu} or {@code opencl:N}.
   */
  record Measured(
      Workload workload, Metric metric, double value, double gflops, double peakShare, int threads, String extra,
      String device) {
    String result(String jdk) {
      String value =
          switch (metric) {
            case I1 -> String.format(Locale.ROOT, "us_per_image=%.2f", this.value);
            default -> String.format(Locale.ROOT, "images_per_s=%.0f", this.value);
          };
      return String.format(
          Locale.ROOT,
          "RESULT task=bench workload=%s metric=%s %s%s gflops=%.2f peak_share=%.4f threads=%d device=%s jdk=%s"
              + " kernels=%s",
          workload, metric, value, extra, gflops, peakShare, threads, device, jdk,
          device.startsWith("opencl") ? "opencl" : Kernels.VECTORIZED ? "vector" : "plain");
    }

    /** A child JVM's RESULT line (as {@link #result} writes it) back into a measurement. */
    static Measured parse(Workload workload, Metric metric, String line) {
      String valueKey = metric == Metric.I1 ? "us_per_image=" : "images_per_s=";
      int valueAt = line.indexOf(" " + valueKey);
      int valueEnd = line.indexOf(' ', valueAt + 1);
      int gflopsAt = line.indexOf(" gflops=");
      if (valueAt < 0 || gflopsAt < valueEnd) {
        throw new IllegalStateException("unreadable RESULT line from a child JVM: " + line);
      }
      Map<String, String> fields = new HashMap<>();
      for (String token : line.substring(gflopsAt + 1).split(" ")) {
        int eq = token.indexOf('=');
        if (eq > 0) {
          fields.put(token.substring(0, eq), token.substring(eq + 1));
        }
      }
      return new Measured(
          workload, metric,
          Double.parseDouble(line.substring(valueAt + 1 + valueKey.length(), valueEnd)),
          Double.parseDouble(fields.get("gflops")), Double.parseDouble(fields.get("peak_share")),
          Integer.parseInt(fields.get("threads")), line.substring(valueEnd, gflopsAt),
          fields.getOrDefault("device", "cpu"));
    }

    /** How many times the target this is: at least 1 meets it (latency: target over value); NaN without one. */
    double ofTarget() {
      BenchTargets.Row row = BenchTargets.row(workload, metric);
      if (row == null) {
        return Double.NaN;
      }
      return metric == Metric.I1 ? row.target() / value : value / row.target();
    }
  }

  @Override
  public Integer call() throws Exception {
    // Every option before the peak is measured, the device opened or MNIST loaded.
    mnistOptions.check();
    deviceOption.check();
    OptionChecks.atLeast("--calls", calls, 1);
    OptionChecks.atLeast("--batches", batches, 1);
    OptionChecks.atLeast("--rounds", rounds, 1);
    OptionChecks.atLeast("--warmup", warmup, 0);
    OptionChecks.atLeast("--warmup-batches", warmupBatches, 0);
    OptionChecks.atLeast("--batch", trainBatch, 1);
    if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
      throw new UsageError("--warmup-seconds must not be negative, got " + warmupSeconds);
    }
    if (clockGhz != null) {
      OptionChecks.positive("--clock-ghz", clockGhz);
    }
    for (Workload workload : workloads) {
      for (Metric metric : metrics) {
        if (!workload.mnist && metric == Metric.T1) {
          System.err.println(
              "kiln bench: " + workload + " measures inference only (I1, I16, I64, I256, I1024, I4096), not T1");
          return 2;
        }
      }
    }
    int threads = mnistOptions.threads != null ? mnistOptions.threads : 2;
    String jdk = Runtime.version().toString();
    System.out.println(
        "JDK " + jdk + " (" + System.getProperty("java.vm.name") + "), jdk.incubator.vector "
            + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "enabled" : "not enabled")
            + ", " + Runtime.getRuntime().availableProcessors() + " processors");
    boolean forked = fork && workloads.size() * metrics.size() > 1;
    // A plain --device opencl falls back to the CPU, saying so, where OpenCL is missing.
    OpenClDevice device = deviceOption.open(System.out);
    try {
      OpenClBench onDevice = null;
      double peakGflops;
      int cores = Math.min(threads, Runtime.getRuntime().availableProcessors());
      if (device != null) {
        onDevice = new OpenClBench(this, device, deviceOption.chosen, System.out);
        peakGflops = onDevice.peakGflops();
        if (forked) {
          device.close(); // the child JVMs open it themselves
        }
      } else {
        peakGflops = cpuPeak(cores);
      }
      List<Measured> all = measureAll(forked, onDevice, threads, cores, peakGflops);
      System.out.println();
      if (device != null) {
        OpenClBench.printTable(all);
      } else {
        printTable(all);
      }
      System.out.println();
      for (Measured m : all) {
        System.out.println(m.result(jdk));
      }
      return 0;
    } finally {
      if (device != null) {
        device.close();
      }
    }
  }

  /** Prints the CPU path, the peak estimate and the measured FMA rates; returns the peak of {@code cores}. */
  private double cpuPeak(int cores) {
    PeakFlops peak = PeakFlops.estimate(clockGhz);
    System.out.println("Kernel path: " + Kernels.describe());
    System.out.println("Peak FP32 estimate: " + peak.describe(cores));
    double[] measured = measuredPeak(cores);
    if (!Double.isNaN(measured[0])) {
      System.out.printf(
          Locale.ROOT,
          "Peak FP32 measured: %.1f GFLOP/s on one core, %.1f on %d (Vector API FMA chains, the best"
              + " run once 0.5 s brought no faster one); peak shares are against these%n", measured[0], measured[1], cores);
      peak = peak.measured(measured[0], measured[1], cores);
    }
    return peak.gflops(cores);
  }

  /** Every workload and metric, each in a child JVM where {@code forked}, on the device where there is one. */
  private List<Measured> measureAll(boolean forked, OpenClBench onDevice, int threads, int cores, double peakGflops)
      throws Exception {
    boolean needsMnist = workloads.stream().anyMatch(w -> w.mnist);
    Mnist.Split mnist = forked || !needsMnist ? null : mnistOptions.load(System.out);
    if (forked) {
      System.out.println("Each workload and metric runs in a fresh JVM (--no-fork: all in this one).");
    }
    List<Measured> all = new ArrayList<>();
    for (Workload workload : workloads) {
      Model probe = workload.create.apply(seed);
      long forward = forwardFlops(probe);
      long training = trainingFlops(probe);
      System.out.printf(
          Locale.ROOT,
          "%n%s: %s, %,d parameters; %.2f MFLOP per image forward, %.2f MFLOP trained%n",
          workload, workload.title, probe.parameterCount(), forward / 1e6, training / 1e6);
      for (Metric metric : metrics) {
        if (forked) {
          all.add(runForked(workload, metric));
          continue;
        }
        if (metric == Metric.T1) {
          all.add(trainOneEpoch(workload, mnist, threads, training, peakGflops, onDevice));
          continue;
        }
        Model net = workload.create.apply(seed);
        float[][] images = images(workload, mnist, net, Math.max(64, metric.batch));
        if (onDevice != null) {
          all.add(onDevice.inference(workload, metric, net, images, forward));
        } else if (metric == Metric.I1) {
          all.add(latency(workload, net, images, forward, cores, peakGflops));
        } else {
          all.add(batchThroughput(workload, metric, net, images, threads, forward, peakGflops));
        }
      }
    }
    return all;
  }

  /** GFLOP/s of FMA chains on one thread, then on {@code cores} threads at once (NaN on the plain path). */
  static double[] measuredPeak(int cores) {
    double one = Kernels.fmaRate(500);
    if (Double.isNaN(one) || cores == 1) {
      return new double[] {one, one};
    }
    double[] rates = new double[cores];
    Thread[] threads = new Thread[cores];
    for (int c = 0; c < cores; c++) {
      int at = c;
      threads[c] = new Thread(() -> rates[at] = Kernels.fmaRate(500));
      threads[c].start();
    }
    for (Thread thread : threads) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new double[] {one, Double.NaN};
      }
    }
    return new double[] {one, Arrays.stream(rates).sum()};
  }

  /**
   * Runs one workload and metric in a child JVM started like this one (same java, JVM options and
   * class path, the other options passed on), echoes its progress indented, and reads back its
   * RESULT line.
   */
  Measured runForked(Workload workload, Metric metric) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // A debugger's port or a flight recording's file would clash between the JVMs.
      if (!option.startsWith("-agentlib:jdwp") && !option.startsWith("-Xrunjdwp")
          && !option.startsWith("-XX:StartFlightRecording")) {
        command.add(option);
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Kiln.class.getName());
    command.add("bench");
    List<String> original = spec.commandLine().getParseResult().originalArgs();
    // The original arguments start with the subcommand's name ("bench"), added above.
    int first = !original.isEmpty() && original.get(0).equals(spec.name()) ? 1 : 0;
    for (int i = first; i < original.size(); i++) {
      String arg = original.get(i);
      if (arg.equals("--workload") || arg.equals("--metric")) {
        i++; // and its value
      } else if (!arg.startsWith("--workload=") && !arg.startsWith("--metric=")
          && !arg.equals("--fork") && !arg.equals("--no-fork")) {
        command.add(arg);
      }
    }
    command.addAll(List.of("--no-fork", "--workload", workload.name(), "--metric", metric.name()));
    System.out.printf(Locale.ROOT, "%s %s in a fresh JVM:%n", workload, metric);
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String result = null;
    StringBuilder tail = new StringBuilder();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.startsWith("RESULT task=bench ")) {
          result = line;
        } else if (!line.startsWith("WARNING: Using incubator modules")) {
          System.out.println("  | " + line);
          tail.append(line).append('\n');
        }
      }
    }
    int exit = child.waitFor();
    if (exit != 0 || result == null) {
      throw new IllegalStateException(
          "the child JVM measuring " + workload + " " + metric + " failed (exit " + exit + "):\n" + tail);
    }
    return Measured.parse(workload, metric, result);
  }

  /** T1: one epoch on the training set, then the test accuracy; on the device where there is one. */
  Measured trainOneEpoch(
      Workload workload, Mnist.Split mnist, int threads, long flopsPerImage, double peakGflops, OpenClBench onDevice) {
    LabeledImages train = mnist.train();
    LabeledImages test = mnist.test();
    System.out.printf(
        Locale.ROOT,
        "T1: one epoch on %,d images (batch %d, Adam lr %s, shuffled, %s), then %,d test images%s%n",
        train.size(), trainBatch, TRAIN_LR, onDevice == null ? threads + " threads" : "on " + onDevice.deviceName(),
        test.size(), warmEpoch ? "; then a second epoch, timed as the warm figure" : "");
    Model net = workload.create.apply(seed);
    int epochs = warmEpoch ? 2 : 1;
    List<EpochResult> history =
        onDevice == null
            ? Trainer.of(net).optimizer(Adam.lr(TRAIN_LR)).batchSize(trainBatch).epochs(epochs)
                .threads(threads).seed(seed).listener(new TrainingProgress(System.out)).fit(train, test)
            : onDevice.train(net, trainBatch, epochs, train, test);
    // T1 is the first epoch from a fresh JVM, JIT warm-up included, with the accuracy after it.
    EpochResult epoch = history.get(0);
    double imagesPerSecond = train.size() / epoch.seconds();
    double gflops = imagesPerSecond * flopsPerImage / 1e9;
    String warm =
        warmEpoch
            ? String.format(
                Locale.ROOT, " warm_images_per_s=%.0f warm_epoch_s=%.2f",
                train.size() / history.get(1).seconds(), history.get(1).seconds())
            : "";
    String extra =
        String.format(
            Locale.ROOT, " epoch_s=%.2f test_acc=%.4f train_images=%d test_images=%d batch=%d%s",
            epoch.seconds(), epoch.testAccuracy(), train.size(), test.size(), trainBatch, warm);
    return onDevice == null
        ? new Measured(workload, Metric.T1, imagesPerSecond, gflops, gflops / peakGflops, threads, extra, "cpu")
        : onDevice.measured(workload, Metric.T1, imagesPerSecond, gflops, extra + onDevice.peakField());
  }

  /** I1: {@code predict} on one thread, each call timed on its own; the median. */
  Measured latency(Workload workload, Model net, float[][] images, long flopsPerImage, int cores, double peakGflops) {
    float[][] inputs = images.length > 64 ? Arrays.copyOf(images, 64) : images;
    float[] out = new float[net.outputSize()];
    System.out.printf(
        Locale.ROOT,
        "I1: predict (its layers of a million multiply-adds or more shared with %d helper thread(s)):"
            + " at least %,d warm-up calls and %.1f s, on until the time per call settles, then up to %,d"
            + " timed calls per round%n", Runtime.getRuntime().availableProcessors() - 1,
        warmup, warmupSeconds, calls);
    int[] next = {0};
    Timed timed = timeCalls(Metric.I1, () -> net.predict(inputs[next[0]++ % inputs.length], out));
    double median = median(timed.nanos()) / 1e3;
    double gflops = flopsPerImage / (median * 1e3);
    double[] spread = minMax(timed.roundMedians());
    System.out.printf(
        Locale.ROOT,
        "I1: median %.2f us per image over %,d calls in %d rounds (round medians %.2f to %.2f; best call"
            + " %.2f) after %,d warm-up calls%n",
        median, timed.nanos().length, rounds, spread[0], spread[1], timed.best() / 1e3, timed.warmupCalls());
    // The same calls again under a WeightsHold (the weights promised fixed, as in a serving loop):
    // no comparison of the weights with those the kept kernels came from. I1 stays the figure
    // above; this one is held_us_per_image.
    double held;
    try (WeightsHold hold = WeightsHold.open()) {
      held = median(timeCalls(Metric.I1, () -> net.predict(inputs[next[0]++ % inputs.length], out)).nanos()) / 1e3;
    }
    System.out.printf(Locale.ROOT, "I1: under a WeightsHold, median %.2f us per image%n", held);
    return new Measured(
        workload, Metric.I1, median, gflops, gflops / peakGflops, cores,
        String.format(
            Locale.ROOT, " calls=%d rounds=%d round_us_min=%.2f round_us_max=%.2f warmup_calls=%d held_us_per_image=%.2f",
            timed.nanos().length, rounds, spread[0], spread[1], timed.warmupCalls(), held),
        "cpu");
  }

  /**
   * Calls timed one by one after a warm-up: {@code nanos}, {@code perRound} calls to a round, and
   * the warm-up calls made.
   */
  record Timed(long[] nanos, int perRound, int warmupCalls) {
    /** The median call of each round, in µs. */
    double[] roundMedians() {
      double[] medians = new double[(nanos.length + perRound - 1) / perRound];
      for (int r = 0; r < medians.length; r++) {
        medians[r] = median(Arrays.copyOfRange(nanos, r * perRound, Math.min(nanos.length, (r + 1) * perRound))) / 1e3;
      }
      return medians;
    }

    long best() {
      return Arrays.stream(nanos).min().orElse(1);
    }

    long worst() {
      return Arrays.stream(nanos).max().orElse(1);
    }
  }

  /**
   * Warms {@code call} up ({@link #warmUp}), then times it call by call in {@code --rounds}
   * rounds, {@link #ROUND_PAUSE_MS} apart: for I1 up to {@code --calls} calls a round, for the
   * batched metrics up to {@code --batches} calls over all rounds (fewer where a call is slow,
   * {@link #callsPerRound}).
   */
  Timed timeCalls(Metric metric, Runnable call) {
    boolean latency = metric == Metric.I1;
    int warm = warmUp(call, latency ? warmup : warmupBatches, latency ? 200 : 5);
    int total;
    int perRound;
    if (latency) {
      perRound = callsPerRound(calls, call);
      total = perRound * rounds;
    } else {
      total = Math.min(batches, Math.max(3, rounds * callsPerRound(batches, call)));
      perRound = Math.max(1, (total + rounds - 1) / rounds);
    }
    long[] nanos = new long[total];
    for (int i = 0; i < total; i++) {
      if (i % perRound == 0) {
        pauseBetweenRounds(i / perRound);
      }
      long t = System.nanoTime();
      call.run();
      nanos[i] = System.nanoTime() - t;
    }
    return new Timed(nanos, perRound, warm);
  }

  /** The time between rounds of timed calls: long enough to sample the host's slow and fast spells. */
  static final long ROUND_PAUSE_MS = 300;

  private void pauseBetweenRounds(int round) {
    if (round == 0) {
      return;
    }
    try {
      Thread.sleep(ROUND_PAUSE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted between benchmark rounds", e);
    }
  }

  static double[] minMax(double[] values) {
    return new double[] {Arrays.stream(values).min().orElse(0), Arrays.stream(values).max().orElse(0)};
  }

  /** How long the warm-up may go on after its minimum, in units of {@code --warmup-seconds}. */
  static final double SETTLE_FACTOR = 15;

  /**
   * Runs {@code call} at least {@code minimum} times and {@code --warmup-seconds}, then on in
   * windows of {@code window} calls until the median call time stops improving (two windows in a
   * row within 2% of the best so far), for at most {@link #SETTLE_FACTOR} times {@code
   * --warmup-seconds} more (30 s by default; none with {@code --warmup-seconds 0}): a fixed
   * time was too short for the lecture's CNN, whose convolutions the JIT compiles last (its batch-1
   * latency measured 620 to 900 us cold, about 200 warm). Returns the calls made.
   */
  int warmUp(Runnable call, int minimum, int window) {
    long start = System.nanoTime();
    int calls = 0;
    // The minimum count gives way after SETTLE_FACTOR warm-up times (a slow call, ResNet-18's).
    while (calls < minimum && System.nanoTime() - start < SETTLE_FACTOR * warmupSeconds * 1e9
        || System.nanoTime() - start < warmupSeconds * 1e9) {
      call.run();
      calls++;
    }
    long extraStart = System.nanoTime();
    double best = Double.MAX_VALUE;
    int steady = 0;
    // A window of about a second at most, however slow a call (ResNet-18's).
    long one = System.nanoTime();
    call.run();
    calls++;
    window = (int) Math.max(3, Math.min(window, 1e9 / Math.max(1, System.nanoTime() - one)));
    long[] nanos = new long[window];
    while (steady < 2 && System.nanoTime() - extraStart < SETTLE_FACTOR * warmupSeconds * 1e9) {
      for (int i = 0; i < window; i++) {
        long t = System.nanoTime();
        call.run();
        nanos[i] = System.nanoTime() - t;
      }
      calls += window;
      double median = median(nanos.clone());
      steady = median > best * 0.98 ? steady + 1 : 0;
      best = Math.min(best, median);
    }
    return calls;
  }

  /**
   * I16 to I4096: {@code predictBatch} of {@code metric.batch} images; each batch timed; the median
   * batch gives images/s.
   */
  Measured batchThroughput(
      Workload workload, Metric metric, Model net, float[][] images, int threads, long flopsPerImage,
      double peakGflops) {
    int batch = metric.batch;
    float[] inputs = batchOf(images, batch, net.inputSize());
    float[] outputs = new float[batch * net.outputSize()];
    System.out.printf(
        Locale.ROOT,
        "%s: predictBatch of %d images, %d threads: at least %d warm-up batches and %.1f s, on until"
            + " the time per batch settles, then up to %d timed batches%n",
        metric, batch, threads, warmupBatches, warmupSeconds, batches);
    Timed timed = timeCalls(metric, () -> net.predictBatch(inputs, outputs, threads));
    double imagesPerSecond = batch / (median(timed.nanos()) / 1e9);
    double gflops = imagesPerSecond * flopsPerImage / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%s: %,.0f images/s from the median batch (best batch %,.0f, slowest %,.0f; %d batches in rounds"
            + " of %d) after %d warm-up batches%n",
        metric, imagesPerSecond, batch / (timed.best() / 1e9), batch / (timed.worst() / 1e9),
        timed.nanos().length, timed.perRound(), timed.warmupCalls());
    return new Measured(
        workload, metric, imagesPerSecond, gflops, gflops / peakGflops, threads,
        String.format(
            Locale.ROOT, " batches=%d batches_per_round=%d warmup_batches=%d stat=median",
            timed.nanos().length, timed.perRound(), timed.warmupCalls()),
        "cpu");
  }

  /** {@code batch} images one after another (what {@code predictBatch} takes), cycling through {@code images}. */
  static float[] batchOf(float[][] images, int batch, int size) {
    float[] inputs = new float[batch * size];
    for (int i = 0; i < batch; i++) {
      System.arraycopy(images[i % images.length], 0, inputs, i * size, size);
    }
    return inputs;
  }

  /** Seconds of timed calls a measurement aims at, at most, over all its rounds. */
  static final double TIMED_SECONDS = 20;

  /**
   * {@code wanted} timed calls per round, or fewer where one call is slow, so that all rounds
   * together stay near {@link #TIMED_SECONDS} (at least 5 per round): ResNet-18's batch-1 call
   * takes tens of milliseconds, and 2,000 of them per round would take minutes.
   */
  int callsPerRound(int wanted, Runnable call) {
    long t = System.nanoTime();
    call.run();
    double seconds = Math.max(1e-9, (System.nanoTime() - t) / 1e9);
    int affordable = (int) Math.max(5, TIMED_SECONDS / rounds / seconds);
    return Math.min(wanted, affordable);
  }

  /**
   * Images for the inference metrics, one array each (what {@code predict} takes): MNIST test
   * images, or for RESNET18 seeded uniform values in [0, 1) of its input shape.
   */
  float[][] images(Workload workload, Mnist.Split mnist, Model net, int count) {
    if (workload.mnist) {
      LabeledImages test = mnist.test();
      return samples(test, Math.min(test.size(), count), net.inputSize());
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    int n = Math.min(count, 16);
    float[][] images = new float[n][net.inputSize()];
    for (float[] image : images) {
      for (int i = 0; i < image.length; i++) {
        image[i] = (float) random.nextDouble();
      }
    }
    return images;
  }

  /** The first {@code count} test images, one array each (what {@code predict} takes). */
  static float[][] samples(LabeledImages data, int count, int size) {
    float[][] samples = new float[count][];
    for (int i = 0; i < count; i++) {
      samples[i] = Arrays.copyOfRange(data.images(), i * size, (i + 1) * size);
    }
    return samples;
  }

  static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  }

  /**
   * FLOPs of one image's forward pass: 2 per multiply-add of the convolutions and dense layers
   * (output pixels × weights; padded taps counted, pooling, activations and softmax not).
   */
  static long forwardFlops(Model model) {
    long macs = 0;
    for (Layer layer : model.layers()) {
      macs += layerMacs(layer);
    }
    return 2 * macs;
  }

  /**
   * FLOPs of one trained image: the forward pass, then per weighted layer the kernel gradient (as
   * many multiply-adds as forward) and the input gradient (as many again), except for the first
   * layer, which needs no input gradient.
   */
  static long trainingFlops(Model model) {
    long macs = 0;
    List<Layer> layers = model.layers();
    for (int i = 0; i < layers.size(); i++) {
      long forward = layerMacs(layers.get(i));
      macs += forward + forward + (i == 0 ? 0 : forward);
    }
    return 2 * macs;
  }

  /** Multiply-adds of one layer's forward pass for one image. */
  static long layerMacs(Layer layer) {
    return (long) layer.outputShape().height() * layer.outputShape().width() * layer.weightCount();
  }

  /** Kiln beside the targets and the peers, one row per measurement. */
  static void printTable(List<Measured> all) {
    StringBuilder header =
        new StringBuilder(String.format(Locale.ROOT, "%-8s %-6s %14s %8s %6s %13s %8s", "workload", "metric", "Kiln", "GFLOP/s", "peak", "target", "x target"));
    for (String peer : BenchTargets.PEERS) {
      header.append(String.format(Locale.ROOT, " %14s", peer));
    }
    System.out.println(
        "Kiln against the targets (images/s, I1 in us per image; 'x target' is Kiln over the target,"
            + " target over Kiln for I1: 1.00 or more meets it; peers as " + BenchTargets.PEERS_MEASURED + "):");
    System.out.println("  peers: " + BenchTargets.PEER_LEGEND);
    System.out.println(header);
    for (Measured m : all) {
      BenchTargets.Row ref = BenchTargets.row(m.workload(), m.metric());
      String value = m.metric() == Metric.I1 ? String.format(Locale.ROOT, "%.2f", m.value()) : String.format(Locale.ROOT, "%,.0f", m.value());
      String target =
          ref == null ? "—" : (m.metric() == Metric.I1 ? "<= " : ">= ") + String.format(Locale.ROOT, "%,.1f", ref.target());
      String times = ref == null ? "—" : String.format(Locale.ROOT, "%.2f", m.ofTarget());
      StringBuilder line =
          new StringBuilder(
              String.format(
                  Locale.ROOT, "%-8s %-6s %14s %8.1f %5.1f%% %13s %8s", m.workload(), m.metric(), value,
                  m.gflops(), 100 * m.peakShare(), target, times));
      for (String peer : ref == null ? BenchTargets.NONE : ref.peers()) {
        line.append(String.format(Locale.ROOT, " %14s", peer));
      }
      System.out.println(line);
    }
  }
}
