package dev.kiln.samples.commands;

import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTrainer;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Sgd;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.XorDeepReluModel;
import dev.kiln.samples.networks.XorDeepSigmoidModel;
import dev.kiln.samples.networks.XorShallowModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./kiln xor}: the lecture's XOR table and its vanishing-gradient story. */
@Command(
    name = "xor",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains the lecture's XOR networks with plain gradient descent on the four-row truth table:"
          + " a 2-layer Sigmoid network, 9 hidden Sigmoid layers (vanishing gradients) and 9"
          + " hidden ReLU layers."
    })
public final class XorCommand implements Callable<Integer> {
  static final float[] INPUTS = {0, 0, 0, 1, 1, 0, 1, 1};
  static final float[] TARGETS = {0, 1, 1, 0};

  record Net(String name, String description, LongFunction<Model> create) {}

  static final List<Net> NETWORKS =
      List.of(
          new Net("shallow-sigmoid", "2 layers (10 wide), Sigmoid", XorShallowModel::create),
          new Net("deep-sigmoid", "10 layers, Sigmoid", XorDeepSigmoidModel::create),
          new Net("deep-relu", "10 layers, ReLU", XorDeepReluModel::create));

  @Option(names = "--steps", defaultValue = "10000", description = "Gradient steps on the whole table (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--lr", defaultValue = "0.1", description = "Gradient descent learning rate (default: ${DEFAULT-VALUE}, as the lecture).")
  double lr;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for the weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @picocli.CommandLine.Mixin DeviceOption deviceOption;

  /** One trained network's row. */
  record Row(Net net, double loss, double accuracy, float[] predictions) {}

  @Override
  public Integer call() {
    OptionChecks.atLeast("--steps", steps, 1);
    OptionChecks.positive("--lr", lr);
    deviceOption.check();
    Dataset table = Dataset.of(INPUTS, 2, TARGETS, 1);
    List<Row> rows = new ArrayList<>();
    OpenClDevice device = deviceOption.open(System.out);
    for (Net net : NETWORKS) {
      Model model = net.create().apply(seed);
      List<EpochResult> history;
      if (device == null) {
        history =
            Trainer.of(model).optimizer(Sgd.lr(lr)).batchSize(4).epochs(steps).threads(1).seed(seed)
                .fit(table, null);
      } else {
        try (OpenClModel bound = DeviceOption.bind(device, model, 4, System.out)) {
          history =
              OpenClTrainer.of(bound).optimizer(Sgd.lr(lr)).batchSize(4).epochs(steps).seed(seed)
                  .fit(table, null); // the weights come back into model
        }
      }
      Trainer.Evaluation end = Trainer.of(model).threads(1).evaluate(table);
      float[] predictions = new float[4];
      model.predictBatch(INPUTS, predictions, 1);
      rows.add(new Row(net, end.loss(), end.accuracy(), predictions));
      System.out.printf(
          Locale.ROOT, "%s: loss %.4f after step 1, %.4f after step %d%n", net.name(),
          history.get(0).trainLoss(), end.loss(), steps);
    }
    System.out.println();
    System.out.printf(
        Locale.ROOT, "%-18s  %-28s  %8s  %8s  %s%n", "network", "", "loss", "accuracy",
        "predictions for 00 01 10 11 (targets 0 1 1 0)");
    for (Row row : rows) {
      float[] p = row.predictions();
      System.out.printf(
          Locale.ROOT, "%-18s  %-28s  %8.4f  %7.0f%%  %.3f %.3f %.3f %.3f%n", row.net().name(),
          row.net().description(), row.loss(), 100 * row.accuracy(), p[0], p[1], p[2], p[3]);
    }
    for (Row row : rows) {
      System.out.printf(
          Locale.ROOT, "RESULT task=xor network=%s steps=%d loss=%.4f accuracy=%.2f device=%s%n",
          row.net().name(), steps, row.loss(), row.accuracy(), deviceOption.chosen);
    }
    if (device != null) {
      device.close();
    }
    return 0;
  }
}
