package dev.kiln.processor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import javax.tools.JavaFileObject;

/**
 * A network declaration as data, for the fuzzer and the oracle: the input shape and the fields,
 * each with its layer and activation annotations as written (possibly invalid: several layers,
 * several activations, odd modifiers). {@link #source()} prints it as the Java source the
 * processor compiles; a failing case is reported as that source, ready to paste into a test.
 *
 * <p>How optional values are spelled ({@code kernel = 3} or {@code {3}}, defaults written out or
 * left away) is chosen from {@link #spelling}, so printing is deterministic and varied.
 */
final class Declaration {
  enum ActKind {
    RELU("ReLU"),
    LEAKY_RELU("LeakyReLU"),
    SIGMOID("Sigmoid"),
    TANH("Tanh"),
    SOFTMAX("Softmax");

    final String annotation;

    ActKind(String annotation) {
      this.annotation = annotation;
    }
  }

  enum Padding {
    VALID,
    SAME
  }

  /** A layer annotation. */
  sealed interface Spec permits Conv, Depthwise, Pool, GlobalPool, Dense, Flatten, Dropout, Merge {}

  /** {@code pad} empty: none; {@code stride} as written. */
  record Conv(
      int filters, int[] kernel, int[] stride, Padding padding, int[] pad, boolean bias, String init)
      implements Spec {
    Conv withFilters(int f) {
      return new Conv(f, kernel, stride, padding, pad, bias, init);
    }

    Conv withKernel(int[] k) {
      return new Conv(filters, k, stride, padding, pad, bias, init);
    }

    Conv withStride(int[] s) {
      return new Conv(filters, kernel, s, padding, pad, bias, init);
    }
  }

  /** {@code @DepthwiseConv2D}: {@code pad} empty: none; {@code stride} as written. */
  record Depthwise(
      int multiplier, int[] kernel, int[] stride, Padding padding, int[] pad, boolean bias,
      String init)
      implements Spec {}

  /** {@code stride} empty: the default (the size). */
  record Pool(boolean max, int[] size, int[] stride, Padding padding) implements Spec {}

  /** {@code @GlobalAvgPool}: an average over the whole input. */
  record GlobalPool() implements Spec {}

  record Dense(int units, boolean bias, String init) implements Spec {}

  record Flatten() implements Spec {}

  record Dropout(double rate) implements Spec {}

  /** {@code @Add} ({@code add}) or {@code @Concat}; what it merges is the field's {@code from}. */
  record Merge(boolean add) implements Spec {}

  /** {@code @From}'s value for the network's input. */
  static final String INPUT = "@input";

  /**
   * An activation annotation; {@code alpha} is LeakyReLU's slope, written out unless {@code
   * defaultAlpha} (then it is the annotation's default, 0.2).
   */
  record Act(ActKind kind, double alpha, boolean defaultAlpha) {
    static Act of(ActKind kind) {
      return new Act(kind, 0.2, true);
    }

    static Act leaky(double alpha) {
      return new Act(ActKind.LEAKY_RELU, alpha, false);
    }
  }

  /**
   * One field: {@code modifiers} and {@code type} as written (normally "" and "Layer"); layers
   * and activations in annotation order (activations are printed after the layer).
   */
  record Field(
      String name, String modifiers, String type, List<Spec> layers, List<Act> acts,
      List<String> from) {
    Field(String name, String modifiers, String type, List<Spec> layers, List<Act> acts) {
      this(name, modifiers, type, layers, acts, List.of());
    }

    Field(String name, Spec layer, Act act) {
      this(name, "", "Layer",
          layer == null ? List.of() : List.of(layer), act == null ? List.of() : List.of(act));
    }

    /** This field reading {@code names} ({@link Declaration#INPUT} for the input). */
    Field from(String... names) {
      return new Field(name, modifiers, type, layers, acts, List.of(names));
    }

    Spec layer() {
      return layers.isEmpty() ? null : layers.get(0);
    }

    Act act() {
      return acts.isEmpty() ? null : acts.get(0);
    }
  }

  final String name;
  final int height;
  final int width;
  final int channels;
  final List<Field> fields;
  /** Class-level text between the annotations and "abstract class", e.g. "" or "public". */
  final String classPrefix;
  /** Extra members written into the class body (a constructor, an abstract method, ...). */
  final List<String> extraMembers;
  final long spelling;

  Declaration(String name, int height, int width, int channels, List<Field> fields, long spelling) {
    this(name, height, width, channels, fields, "", List.of(), spelling);
  }

  Declaration(
      String name, int height, int width, int channels, List<Field> fields, String classPrefix,
      List<String> extraMembers, long spelling) {
    this.name = name;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.fields = List.copyOf(fields);
    this.classPrefix = classPrefix;
    this.extraMembers = List.copyOf(extraMembers);
    this.spelling = spelling;
  }

  Declaration withFields(List<Field> newFields) {
    return new Declaration(name, height, width, channels, newFields, classPrefix, extraMembers, spelling);
  }

  Declaration withInput(int h, int w, int c) {
    return new Declaration(name, h, w, c, fields, classPrefix, extraMembers, spelling);
  }

  Declaration withClass(String prefix, List<String> members) {
    return new Declaration(name, height, width, channels, fields, prefix, members, spelling);
  }

  /** The {@code @Shape(...)} arguments. */
  String input() {
    return "height = " + height + ", width = " + width
        + (channels == 1 && (spelling & 1) == 0 ? "" : ", channels = " + channels);
  }

  /** One line per field, as in {@link Networks#network}. */
  List<String> body() {
    SplittableRandom r = new SplittableRandom(spelling);
    List<String> lines = new ArrayList<>(extraMembers);
    for (Field f : fields) {
      StringBuilder line = new StringBuilder();
      for (Spec s : f.layers()) {
        line.append(layer(s, r)).append(' ');
      }
      for (Act a : f.acts()) {
        line.append(activation(a, r)).append(' ');
      }
      if (!f.from().isEmpty()) {
        List<String> names = new ArrayList<>();
        for (String n : f.from()) {
          names.add(n.equals(INPUT) ? "From.INPUT" : "\"" + n + "\"");
        }
        line.append("@From(")
            .append(names.size() == 1 && r.nextBoolean() ? names.get(0) : "{" + String.join(", ", names) + "}")
            .append(") ");
      }
      if (!f.modifiers().isEmpty()) {
        line.append(f.modifiers()).append(' ');
      }
      line.append(f.type()).append(' ').append(f.name()).append(';');
      lines.add(line.toString());
    }
    return lines;
  }

  /** The whole compilation unit {@code test/<name>.java}. */
  JavaFileObject file() {
    List<String> body = body();
    if (classPrefix.isEmpty()) {
      return Networks.network(name, input(), body.toArray(new String[0]));
    }
    List<String> lines = new ArrayList<>();
    lines.add("package test;");
    lines.add(Networks.IMPORTS);
    lines.add("@Network(input = @Shape(" + input() + "))");
    lines.add(classPrefix + " class " + name + " {");
    body.forEach(b -> lines.add("  " + b));
    lines.add("}");
    return Networks.source("test." + name, lines.toArray(new String[0]));
  }

  /** The source, and the same declaration as a call that a regression test can paste. */
  String source() {
    StringBuilder s = new StringBuilder();
    s.append("@Network(input = @Shape(").append(input()).append("))\n");
    s.append(classPrefix.isEmpty() ? "abstract" : classPrefix).append(" class ").append(name).append(" {\n");
    for (String line : body()) {
      s.append("  ").append(line).append('\n');
    }
    s.append("}\n");
    if (classPrefix.isEmpty()) {
      s.append("// as a test: CompiledModels.model(\"").append(name).append("\", \"").append(input()).append('"');
      for (String line : body()) {
        s.append(",\n//     \"").append(line.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
      s.append(");\n");
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return source();
  }

  // ---- spelling ----

  private static String layer(Spec s, SplittableRandom r) {
    List<String> a = new ArrayList<>();
    if (s instanceof Conv c) {
      a.add("filters = " + c.filters());
      a.add("kernel = " + ints(c.kernel(), r));
      if (!(c.stride().length == 1 && c.stride()[0] == 1) || r.nextInt(4) == 0) {
        a.add("stride = " + ints(c.stride(), r));
      }
      padding(a, c.padding(), r);
      if (c.pad().length > 0) {
        a.add("pad = " + ints(c.pad(), r));
      }
      if (!c.bias() || r.nextInt(6) == 0) {
        a.add("bias = " + c.bias());
      }
      if (c.init() != null) {
        a.add("init = Init." + c.init());
      }
      shuffle(a, r);
      return "@Conv2D(" + String.join(", ", a) + ")";
    }
    if (s instanceof Depthwise c) {
      if (c.multiplier() != 1 || r.nextInt(4) == 0) {
        a.add("depthMultiplier = " + c.multiplier());
      }
      a.add("kernel = " + ints(c.kernel(), r));
      if (!(c.stride().length == 1 && c.stride()[0] == 1) || r.nextInt(4) == 0) {
        a.add("stride = " + ints(c.stride(), r));
      }
      padding(a, c.padding(), r);
      if (c.pad().length > 0) {
        a.add("pad = " + ints(c.pad(), r));
      }
      if (!c.bias() || r.nextInt(6) == 0) {
        a.add("bias = " + c.bias());
      }
      if (c.init() != null) {
        a.add("init = Init." + c.init());
      }
      shuffle(a, r);
      return "@DepthwiseConv2D(" + String.join(", ", a) + ")";
    }
    if (s instanceof GlobalPool) {
      return "@GlobalAvgPool";
    }
    if (s instanceof Merge m) {
      return m.add() ? "@Add" : "@Concat";
    }
    if (s instanceof Pool p) {
      a.add("size = " + ints(p.size(), r));
      if (p.stride().length > 0) {
        a.add("stride = " + ints(p.stride(), r));
      }
      padding(a, p.padding(), r);
      shuffle(a, r);
      return "@" + (p.max() ? "MaxPool" : "AvgPool") + "(" + String.join(", ", a) + ")";
    }
    if (s instanceof Dense d) {
      a.add("units = " + d.units());
      if (!d.bias() || r.nextInt(6) == 0) {
        a.add("bias = " + d.bias());
      }
      if (d.init() != null) {
        a.add("init = Init." + d.init());
      }
      shuffle(a, r);
      return "@Dense(" + String.join(", ", a) + ")";
    }
    if (s instanceof Dropout d) {
      return "@Dropout(rate = " + number(d.rate()) + ")";
    }
    return r.nextBoolean() ? "@Flatten" : "@Flatten()";
  }

  private static String activation(Act a, SplittableRandom r) {
    if (a.kind() == ActKind.LEAKY_RELU && !a.defaultAlpha()) {
      return "@LeakyReLU(alpha = " + number(a.alpha()) + ")";
    }
    return "@" + a.kind().annotation + (r.nextInt(5) == 0 ? "()" : "");
  }

  private static void padding(List<String> a, Padding padding, SplittableRandom r) {
    if (padding == Padding.SAME || r.nextInt(5) == 0) {
      a.add("padding = Padding." + padding);
    }
  }

  private static void shuffle(List<String> a, SplittableRandom r) {
    // The first attribute stays first most of the time, as people write it.
    if (a.size() > 2 && r.nextInt(4) == 0) {
      String last = a.remove(a.size() - 1);
      a.add(1, last);
    }
  }

  static String ints(int[] v, SplittableRandom r) {
    if (v.length == 1 && r.nextInt(3) != 0) {
      return String.valueOf(v[0]);
    }
    return Arrays.stream(v).mapToObj(String::valueOf).collect(Collectors.joining(", ", "{", "}"));
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "Double.NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY";
    }
    return Double.toString(v);
  }
}
