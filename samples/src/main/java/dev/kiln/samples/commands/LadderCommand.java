package dev.kiln.samples.commands;

import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTrainer;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.kernels.Kernels;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.Cnn2Model;
import dev.kiln.samples.networks.Cnn3Model;
import dev.kiln.samples.networks.DeepDropoutModel;
import dev.kiln.samples.networks.ReluNormalInitModel;
import dev.kiln.samples.networks.ReluXavierModel;
import dev.kiln.samples.networks.SoftmaxRegressionModel;
import dev.kiln.samples.pictures.ConfusionMatrix;
import dev.kiln.samples.pictures.TrainingCharts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./kiln ladder}: the lecture's MNIST accuracy ladder, next to the lecture's numbers. */
@Command(
    name = "ladder",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains the lecture's MNIST ladder (softmax regression up to an ensemble of CNNs) with Adam"
          + " and prints Kiln's test accuracy beside the lecture's TensorFlow results.",
      "The CNN rungs are slow on 2 cores: pick rungs with --rungs and shorten with --epochs."
    })
public final class LadderCommand implements Callable<Integer> {
  record Rung(int number, String name, String description, double lecture, LongFunction<Model> create) {}

  static final List<Rung> RUNGS =
      List.of(
          new Rung(1, "softmax", "softmax regression", 0.9035, SoftmaxRegressionModel::create),
          new Rung(2, "relu-normal", "3-layer ReLU, N(0,1) init", 0.9455, ReluNormalInitModel::create),
          new Rung(3, "relu-xavier", "3-layer ReLU, Xavier init", 0.9783, ReluXavierModel::create),
          new Rung(4, "deep-dropout", "5-layer ReLU 512, dropout", 0.9804, DeepDropoutModel::create),
          new Rung(5, "cnn2", "2-conv CNN", 0.9885, Cnn2Model::create),
          new Rung(6, "cnn3", "3-conv CNN, dropout, 625 dense", 0.9938, Cnn3Model::create),
          new Rung(7, "ensemble", "ensemble of 3-conv CNNs", 0.9952, Cnn3Model::create));

  @Option(names = "--rungs", split = ",", description = "Rungs to run, 1-7 (default: all).")
  List<Integer> rungs;

  @Option(names = "--epochs", defaultValue = "15", description = "Epochs per network (default: ${DEFAULT-VALUE}, as the lecture).")
  int epochs;

  @Option(names = "--batch", defaultValue = "100", description = "Mini-batch size (default: ${DEFAULT-VALUE}, as the lecture).")
  int batch;

  @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}, as the lecture).")
  double lr;

  @Option(
      names = "--schedule",
      defaultValue = "constant",
      description =
          "Learning-rate schedule: constant (the lecture's), cosine (decays to 0 over the run, which"
              + " makes the final epoch's accuracy less noisy) or onecycle (default: ${DEFAULT-VALUE},"
              + " as the lecture).")
  MnistCommand.ScheduleKind schedule;

  @Option(
      names = "--ensemble",
      defaultValue = "2",
      description =
          "Networks in the ensemble rung, each from its own seed; the lecture's lab trains 2"
              + " (default: ${DEFAULT-VALUE}).")
  int ensemble;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin MnistOptions mnistOptions;

  @Mixin DeviceOption deviceOption;

  @Option(
      names = "--plots",
      defaultValue = "plots",
      description =
          "Directory for each rung's learning curves and test-set confusion matrix, as PNG"
              + " (default: ${DEFAULT-VALUE}).")
  Path plots;

  /** One finished rung and its pictures. */
  record Row(Rung rung, double accuracy, int parameters, double seconds, TrainingCharts.Written plots) {}

  @Override
  public Integer call() throws Exception {
    if (rungs != null) {
      for (int rung : rungs) {
        if (rung < 1 || rung > RUNGS.size()) {
          throw new UsageError("--rungs takes rungs 1 to " + RUNGS.size() + ", got " + rung);
        }
      }
    }
    OptionChecks.atLeast("--epochs", epochs, 1);
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.positive("--lr", lr);
    OptionChecks.atLeast("--ensemble", ensemble, 1);
    mnistOptions.check();
    deviceOption.check();
    OptionChecks.writableDirectory("--plots", plots);
    int threadCount = mnistOptions.threads();
    Mnist.Split mnist = mnistOptions.load(System.out);
    LabeledImages train = mnist.train();
    LabeledImages test = mnist.test();
    List<Row> rows = new ArrayList<>();
    try (OpenClDevice device = deviceOption.open(System.out)) {
      if (device == null) {
        System.out.println("CPU kernels: " + Kernels.describe());
      }
      climb(train, test, threadCount, device, rows);
    }
    report(rows, train, test);
    return 0;
  }

  private void climb(
      LabeledImages train, LabeledImages test, int threadCount, OpenClDevice device, List<Row> rows)
      throws java.io.IOException {
    for (Rung rung : RUNGS) {
      if (rungs != null && !rungs.contains(rung.number())) {
        continue;
      }
      int members = rung.number() == 7 ? ensemble : 1;
      float[] sum = new float[test.size() * 10];
      int parameters = 0;
      double seconds = 0;
      List<TrainingCharts.Run> runs = new ArrayList<>();
      for (int m = 0; m < members; m++) {
        Model model = rung.create().apply(seed + m);
        parameters = model.parameterCount();
        System.out.printf(
            Locale.ROOT, "%n== rung %d: %s%s (%,d parameters)%n", rung.number(), rung.description(),
            members > 1 ? " [member " + (m + 1) + "/" + members + "]" : "", parameters);
        Trainer trainer =
            Trainer.of(model).batchSize(batch).epochs(epochs).threads(threadCount).seed(seed + m);
        int steps = epochs * trainer.batchesPerEpoch(train.size());
        List<EpochResult> history;
        float[] probabilities = new float[test.size() * 10];
        if (device == null) {
          history =
              trainer
                  .optimizer(MnistCommand.adam(schedule, lr, steps))
                  .listener(new TrainingProgress(System.out))
                  .fit(train, test);
          model.predictBatch(test.images(), probabilities, threadCount);
        } else {
          try (OpenClModel bound = DeviceOption.bind(device, model, batch, System.out)) {
            history =
                OpenClTrainer.of(bound).epochs(epochs).seed(seed + m)
                    .optimizer(MnistCommand.adam(schedule, lr, steps))
                    .listener(new TrainingProgress(System.out))
                    .fit(train, test);
            bound.predictBatch(test.images(), probabilities);
          }
        }
        seconds += history.stream().mapToDouble(EpochResult::seconds).sum();
        runs.add(new TrainingCharts.Run(members > 1 ? "member " + (m + 1) : "", history));
        for (int i = 0; i < sum.length; i++) {
          sum[i] += probabilities[i];
        }
      }
      ConfusionMatrix confusion = ConfusionMatrix.of(sum, test.labels(), 10);
      TrainingCharts.Written written =
          TrainingCharts.writeTrainingPlotsOrWarn(
              plots, "ladder-" + rung.number() + "-" + rung.name(),
              "Rung " + rung.number() + ", " + rung.description(), runs, confusion, System.err);
      if (written != TrainingCharts.Written.NONE) {
        System.out.println(
            "Wrote " + written.curves() + " (learning curves) and " + written.confusion()
                + " (confusion matrix of the test set" + (members > 1 ? ", averaged ensemble" : "") + ")");
      }
      rows.add(new Row(rung, confusion.accuracy(), parameters, seconds, written));
    }
  }

  private void report(List<Row> rows, LabeledImages train, LabeledImages test) {
    System.out.println();
    System.out.printf(
        Locale.ROOT, "%-4s  %-32s  %10s  %8s  %8s  %9s%n", "rung", "network", "parameters",
        "lecture", "Kiln", "train s");
    for (Row row : rows) {
      System.out.printf(
          Locale.ROOT, "%-4d  %-32s  %,10d  %7.2f%%  %7.2f%%  %9.0f%n", row.rung().number(),
          row.rung().description(), row.parameters(), 100 * row.rung().lecture(),
          100 * row.accuracy(), row.seconds());
    }
    for (Row row : rows) {
      System.out.printf(
          Locale.ROOT,
          "RESULT task=ladder rung=%d network=%s lecture_acc=%.4f test_acc=%.4f reached=%s"
              + " epochs=%d train_images=%d test_images=%d train_seconds=%.0f device=%s curves=%s"
              + " confusion=%s%n",
          row.rung().number(), row.rung().name(), row.rung().lecture(), row.accuracy(),
          row.accuracy() >= row.rung().lecture(), epochs, train.size(), test.size(), row.seconds(),
          deviceOption.chosen, row.plots().curvesField(), row.plots().confusionField());
    }
  }
}
