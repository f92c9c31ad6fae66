package dev.kiln.processor.emit;

import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.TrainingPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Keras-style text table of a network, computed at compile time. */
public final class SummaryFormatter {
  private SummaryFormatter() {}

  /**
   * The table, totals, the activation memory the plans need per sample, and the tiles batches run
   * in with their memory. A network that is not a plain chain gets a column saying what each layer
   * reads.
   */
  public static String format(Plan plan, TrainingPlan training) {
    NetworkModel model = plan.model();
    boolean graph = isGraph(model);
    List<String[]> rows = new ArrayList<>();
    rows.add(row(graph, "Layer", "Kind", "From", "Output", "Params", "Mult-adds"));
    rows.add(row(graph, "(input)", "", "", model.input().toString(), "", ""));
    for (int i = 0; i < model.nodes().size(); i++) {
      Node node = model.nodes().get(i);
      rows.add(
          row(
              graph,
              node.name(),
              node.describe(),
              from(model, node),
              node.output().toString(),
              number(node.parameterCount()),
              number(node.multiplyAdds())));
    }
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder s = new StringBuilder();
    s.append("Network ")
        .append(model.simpleName())
        .append(" (generated ")
        .append(model.generatedName())
        .append(")\n");
    int total = 0;
    for (int w : widths) {
      total += w + 2;
    }
    String rule = "-".repeat(total - 2) + "\n";
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        boolean numeric = i >= columns - 2;
        String cell = numeric ? pad(row[i], widths[i], true) : pad(row[i], widths[i], false);
        line.append(cell).append(i < row.length - 1 ? "  " : "");
      }
      s.append(line.toString().stripTrailing()).append('\n');
      if (r == 0) {
        s.append(rule);
      }
    }
    s.append(rule);
    long params = model.parameterCount();
    s.append("Total parameters: ")
        .append(number(params))
        .append(" (")
        .append(bytes(params * 4))
        .append(" as float32)\n");
    s.append("Multiply-adds per sample: ").append(number(model.multiplyAdds())).append('\n');
    s.append("Input ")
        .append(model.input())
        .append(" (")
        .append(number(model.input().size()))
        .append(" floats, NHWC), output ")
        .append(model.output())
        .append('\n');
    s.append("Activations per sample: ")
        .append(bytes(4L * plan.workspaceSize()))
        .append(" at inference (buffers reused once read), ")
        .append(bytes(4L * training.workspaceSize()))
        .append(" in training\n");
    if (plan.tile() > 1 || training.tile() > 1) {
      // Each sample of a tile keeps a workspace (predictBatch: and one the samples share).
      s.append("Batches run in tiles of up to ");
      if (plan.tile() > 1) {
        s.append(plan.tile()).append(" samples in predictBatch (")
            .append(bytes(4L * (plan.tile() + 1) * plan.workspaceSize())).append(" per thread)");
      }
      if (training.tile() > 1) {
        s.append(plan.tile() > 1 ? " and " : "").append(training.tile()).append(plan.tile() > 1 ? "" : " samples").append(" in training (")
            .append(bytes(4L * training.tile() * training.workspaceSize())).append(" per thread)");
      }
      s.append('\n');
    }
    return s.toString();
  }

  /** Whether some layer reads other than the one before it. */
  static boolean isGraph(NetworkModel model) {
    for (int i = 0; i < model.nodes().size(); i++) {
      if (!model.nodes().get(i).sources().equals(List.of(i - 1))) {
        return true;
      }
    }
    return false;
  }

  private static String from(NetworkModel model, Node node) {
    List<String> names = new ArrayList<>();
    for (int source : node.sources()) {
      names.add(source == Node.NETWORK_INPUT ? "(input)" : model.nodes().get(source).name());
    }
    return String.join(", ", names);
  }

  /** A row, without the From column for a chain. */
  private static String[] row(boolean graph, String... cells) {
    if (graph) {
      return cells;
    }
    return new String[] {cells[0], cells[1], cells[3], cells[4], cells[5]};
  }

  static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String pad(String s, int width, boolean right) {
    String spaces = " ".repeat(width - s.length());
    return right ? spaces + s : s + spaces;
  }

  /** {@code 241.0 KiB}, {@code 527.8 MiB}: one decimal in the largest unit that keeps it >= 1. */
  static String bytes(long bytes) {
    String[] units = {"KiB", "MiB", "GiB"};
    double value = bytes / 1024.0;
    int unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
