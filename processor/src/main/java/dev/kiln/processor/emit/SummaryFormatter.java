package dev.kiln.processor.emit;

import dev.kiln.processor.model.NetworkModel;
import dev.kiln.processor.model.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Keras-style text table of a network, computed at compile time. */
public final class SummaryFormatter {
  private SummaryFormatter() {}

  public static String format(NetworkModel model) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"Layer", "Kind", "Output", "Params", "Mult-adds"});
    rows.add(new String[] {"(input)", "", model.input().toString(), "", ""});
    for (Node node : model.nodes()) {
      rows.add(
          new String[] {
            node.name(),
            node.describe(),
            node.output().toString(),
            number(node.parameterCount()),
            number(node.multiplyAdds())
          });
    }
    int[] widths = new int[5];
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
        boolean numeric = i >= 3;
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
    return s.toString();
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
