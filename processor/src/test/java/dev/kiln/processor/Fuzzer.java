package dev.kiln.processor;

import dev.kiln.processor.Declaration.Act;
import dev.kiln.processor.Declaration.ActKind;
import dev.kiln.processor.Declaration.Conv;
import dev.kiln.processor.Declaration.Depthwise;
import dev.kiln.processor.Declaration.Dense;
import dev.kiln.processor.Declaration.Dropout;
import dev.kiln.processor.Declaration.Field;
import dev.kiln.processor.Declaration.Flatten;
import dev.kiln.processor.Declaration.Merge;
import dev.kiln.processor.Declaration.GlobalPool;
import dev.kiln.processor.Declaration.Padding;
import dev.kiln.processor.Declaration.Pool;
import dev.kiln.processor.Declaration.Spec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random network declarations from a fixed seed. A valid one is grown layer by layer, keeping
 * only proposals the {@link Oracle} accepts (so its shapes follow TensorFlow's rules, computed
 * independently of the processor) and that stay small enough to compile and run quickly. An
 * invalid one is a valid one with one mistake put in, and carries the tag of the error the
 * processor must report for it.
 */
final class Fuzzer {
  /** Largest activation and weight tensor a fuzzed network may have, to keep the run fast. */
  static final int MAX_ACTIVATION = 1_500;
  static final int MAX_WEIGHTS = 12_000;

  /** A declaration and what must happen to it: valid ({@code tag} null) or this error. */
  record Case(Declaration declaration, String tag, String mutation) {
    boolean valid() {
      return tag == null;
    }
  }

  private static final String[] INITS = {
    "GLOROT_UNIFORM", "GLOROT_NORMAL", "HE_UNIFORM", "HE_NORMAL", "STANDARD_NORMAL"
  };

  /**
   * Field names that collide with names in the generated class, with each other's constants, or
   * with the classes the generated code names (a field hides a class of its name in the subclass),
   * and names with {@code $} (JavaPoet's format character).
   */
  private static final String[] AWKWARD_NAMES = {
    "parameters", "layers", "p", "x", "y", "ws", "g", "d", "noise", "loss", "forward", "predict",
    "create", "name", "summary", "xo", "oh", "i", "fb", "shift", "target", "prediction", "Math",
    "System", "Float", "Arrays", "List", "Kernels", "Checks", "TensorShape", "Initializer",
    "Batches", "Loss", "ThreadLocal", "Layer", "Model", "c$1", "$", "$L", "C1_OUT", "c1Train"
  };

  private final SplittableRandom random;
  private int made;

  Fuzzer(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** The next case: valid with probability {@code validShare}. */
  Case next(double validShare) {
    String name = String.format("Fuzz%04d", made++);
    // Invalid cases start from a chain, so each mutation's shapes are the ones it expects.
    boolean validCase = random.nextDouble() < validShare;
    Declaration valid = valid(name, validCase);
    if (validCase) {
      return new Case(valid, null, "none");
    }
    return invalid(valid);
  }

  // ---------------------------------------------------------------- valid networks

  /** A valid network; with {@code graphs}, with residual and split-and-merge blocks now and then. */
  Declaration valid(String name, boolean graphs) {
    while (true) {
      int h = 1 + random.nextInt(random.nextInt(4) == 0 ? 16 : 9);
      int w = random.nextInt(3) == 0 ? h : 1 + random.nextInt(random.nextInt(4) == 0 ? 16 : 9);
      int c = 1 + random.nextInt(random.nextInt(3) == 0 ? 5 : 2);
      int depth = 1 + random.nextInt(7);
      Declaration d = new Declaration(name, h, w, c, List.of(), random.nextLong());
      List<Field> fields = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < depth; i++) {
        boolean last = i == depth - 1;
        if (graphs && random.nextInt(4) == 0) {
          List<Field> block = block(i, names, fields, d, last);
          List<Field> grown = new ArrayList<>(fields);
          grown.addAll(block);
          if (acceptable(d.withFields(grown))) {
            fields.addAll(block);
            block.forEach(f -> names.add(f.name()));
            continue;
          }
        }
        Field field = null;
        for (int attempt = 0; attempt < 30 && field == null; attempt++) {
          Field proposal = propose(fieldName(i, names), shapeAfter(d, fields), last);
          List<Field> grown = new ArrayList<>(fields);
          grown.add(proposal);
          if (acceptable(d.withFields(grown))) {
            field = proposal;
          }
        }
        if (field == null) {
          break; // nothing fits any more (e.g. a 1x1 input): a shorter network
        }
        fields.add(field);
        names.add(field.name());
      }
      if (!fields.isEmpty()) {
        return d.withFields(fields);
      }
    }
  }

  /**
   * A block that reads the network so far ({@code cur}, the last field or the input): a residual
   * {@code Add} of a branch and {@code cur}, or a {@code Concat} of two or three branches.
   */
  private List<Field> block(int i, List<String> names, List<Field> fields, Declaration d, boolean last) {
    Oracle.Shape in = shapeAfter(d, fields);
    String cur = fields.isEmpty() ? Declaration.INPUT : fields.get(fields.size() - 1).name();
    List<String> taken = new ArrayList<>(names);
    String a = fieldName(i, taken);
    taken.add(a);
    String b = fieldName(i + 100, taken);
    taken.add(b);
    String m = fieldName(i + 200, taken);
    Act mergeAct = random.nextBoolean() ? null : activation();
    if (last && in.flat() && random.nextInt(3) == 0) {
      mergeAct = Act.of(random.nextBoolean() ? ActKind.SOFTMAX : ActKind.SIGMOID);
    }
    if (mergeAct != null && mergeAct.kind() == ActKind.SOFTMAX && !in.flat()) {
      mergeAct = null;
    }
    List<Field> block = new ArrayList<>();
    if (random.nextBoolean()) {
      // residual: y = act(F(cur) + cur), F one layer that keeps the shape
      Spec branch =
          in.flat() ? new Dense(in.c(), random.nextBoolean(), null)
              : random.nextInt(3) == 0 ? null
              : new Conv(in.c(), new int[] {1 + 2 * random.nextInt(2)}, new int[] {1}, Padding.SAME,
                  new int[0], random.nextBoolean(), null);
      block.add(new Field(a, branch, branch == null || random.nextBoolean() ? activation() : null));
      block.add(new Field(m, new Merge(true), mergeAct).from(a, cur));
      return block;
    }
    // split and merge: branches from cur, stacked along the channels
    if (in.flat()) {
      block.add(new Field(a, dense(), random.nextBoolean() ? activation() : null));
      block.add(new Field(b, dense(), null).from(cur));
    } else {
      block.add(new Field(a, new Conv(1 + random.nextInt(3), new int[] {1}, new int[] {1},
          Padding.VALID, new int[0], true, null), random.nextBoolean() ? activation() : null));
      Spec other = random.nextBoolean()
          ? new Pool(random.nextBoolean(), new int[] {1 + random.nextInt(3)}, new int[] {1}, Padding.SAME)
          : new Conv(1 + random.nextInt(3), new int[] {3}, new int[] {1}, Padding.SAME, new int[0], true, null);
      block.add(new Field(b, other, null).from(cur));
    }
    Field merged = new Field(m, new Merge(false), mergeAct);
    block.add(random.nextInt(3) == 0 ? merged.from(b, a, cur) : merged.from(a, b));
    return block;
  }

  private String fieldName(int i, List<String> taken) {
    String name;
    int roll = random.nextInt(30);
    if (roll == 0) {
      name = AWKWARD_NAMES[random.nextInt(AWKWARD_NAMES.length)];
    } else if (roll == 1 && !taken.isEmpty() && taken.get(taken.size() - 1).matches("[a-z]+[A-Z][a-z0-9]*")) {
      // "convBlock" after "conv_block" both make CONV_BLOCK constants: the planner must number them
      String previous = taken.get(taken.size() - 1);
      name = previous.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase();
    } else if (roll < 8) {
      name = new String[] {"conv", "pool", "dense", "hidden", "block"}[random.nextInt(5)]
          + new String[] {"Block", "Out", "Layer"}[random.nextInt(3)] + i;
    } else {
      name = "l" + i;
    }
    return taken.contains(name) ? "l" + i + "x" : name;
  }

  /** The output shape after {@code fields}, or the input's if there are none. */
  private static Oracle.Shape shapeAfter(Declaration d, List<Field> fields) {
    if (fields.isEmpty()) {
      return Oracle.Shape.of(d.height, d.width, d.channels);
    }
    return Oracle.of(d.withFields(fields)).output();
  }

  private static boolean acceptable(Declaration d) {
    Oracle oracle;
    try {
      oracle = Oracle.of(d);
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (Oracle.Layer l : oracle.layers) {
      if (l.out.size() > MAX_ACTIVATION || l.weightCount > MAX_WEIGHTS) {
        return false;
      }
    }
    return true;
  }

  private Field propose(String name, Oracle.Shape in, boolean last) {
    Spec spec;
    int roll = random.nextInt(100);
    if (!in.flat()) {
      spec =
          roll < 30 ? conv()
              : roll < 38 ? depthwise()
              : roll < 50 ? pool(true)
              : roll < 58 ? pool(false)
              : roll < 60 ? new GlobalPool()
              : roll < 72 ? dense()
              : roll < 77 ? new Flatten()
              : roll < 85 ? dropout()
              : null; // an activation on a field of its own
    } else {
      spec = roll < 55 ? dense() : roll < 72 ? dropout() : null;
    }
    Act act = null;
    if (spec == null || random.nextInt(spec instanceof Conv || spec instanceof Dense ? 2 : 4) == 0) {
      act = activation();
    }
    if (last && random.nextInt(10) < 4) {
      // The cross-entropy losses; Softmax needs a vector (else the oracle rejects the proposal).
      boolean flat = spec instanceof Dense || spec instanceof Flatten || in.flat();
      act = flat && random.nextBoolean() ? Act.of(ActKind.SOFTMAX) : Act.of(ActKind.SIGMOID);
    }
    return new Field(name, spec, act);
  }

  private Act activation() {
    return switch (random.nextInt(5)) {
      case 0 -> Act.of(ActKind.RELU);
      case 1 -> random.nextBoolean()
          ? Act.of(ActKind.LEAKY_RELU)
          : Act.leaky(new double[] {0.0, 0.01, 0.3, 1.0, 2.5}[random.nextInt(5)]);
      case 2 -> Act.of(ActKind.SIGMOID);
      case 3 -> Act.of(ActKind.TANH);
      default -> Act.of(ActKind.RELU);
    };
  }

  private Conv conv() {
    int filters = random.nextInt(5) == 0 ? 9 + random.nextInt(16) : 1 + random.nextInt(6);
    int[] kernel = pair(1 + random.nextInt(4), 1 + random.nextInt(5));
    int[] stride = random.nextInt(5) < 3 ? new int[] {1} : pair(1 + random.nextInt(3), 1 + random.nextInt(3));
    Padding padding = random.nextInt(5) < 2 ? Padding.SAME : Padding.VALID;
    int[] pad = new int[0];
    if (padding == Padding.VALID && random.nextInt(3) == 0) {
      pad = random.nextBoolean() ? new int[] {random.nextInt(4)} : new int[] {random.nextInt(4), random.nextInt(4)};
    }
    if (random.nextInt(40) == 0) {
      // Absurd but valid: a stride beyond the input gives one output per axis; a pad the size of
      // the stride puts windows wholly into the padding.
      int huge = random.nextBoolean() ? Integer.MAX_VALUE : 1_000_000_007;
      stride = random.nextBoolean() ? new int[] {huge} : new int[] {huge, 1 + random.nextInt(2)};
      if (random.nextBoolean()) {
        padding = Padding.VALID;
        pad = new int[] {random.nextBoolean() ? 100_000 : 1 + random.nextInt(3)};
      }
    }
    String init = random.nextInt(5) == 0 ? INITS[random.nextInt(INITS.length)] : null;
    return new Conv(filters, kernel, stride, padding, pad, random.nextInt(7) != 0, init);
  }

  private Depthwise depthwise() {
    Conv c = conv(); // the same windows, absurd ones included
    int multiplier = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
    return new Depthwise(multiplier, c.kernel(), c.stride(), c.padding(), c.pad(), c.bias(), c.init());
  }

  private Pool pool(boolean max) {
    // Up to 9 taps the generated code unrolls the window, above it loops: both must be fuzzed.
    int largest = random.nextInt(3) == 0 ? 5 : 3;
    int[] size = pair(1 + random.nextInt(largest), 1 + random.nextInt(largest));
    int[] stride = random.nextBoolean() ? new int[0] : pair(1 + random.nextInt(3), 1 + random.nextInt(3));
    if (random.nextInt(40) == 0) {
      stride = new int[] {Integer.MAX_VALUE};
    }
    if (random.nextInt(60) == 0) {
      size = new int[] {Integer.MAX_VALUE}; // SAME: a global pooling
      return new Pool(max, size, new int[0], Padding.SAME);
    }
    return new Pool(max, size, stride, random.nextInt(5) < 2 ? Padding.SAME : Padding.VALID);
  }

  /** One value (square) or {a, b}; a tenth of the time {a, a} written out. */
  private int[] pair(int a, int b) {
    int roll = random.nextInt(10);
    return roll < 5 ? new int[] {a} : roll == 5 ? new int[] {a, a} : new int[] {a, b};
  }

  private Dense dense() {
    int units = 1 + random.nextInt(random.nextInt(4) == 0 ? 20 : 8);
    String init = random.nextInt(5) == 0 ? INITS[random.nextInt(INITS.length)] : null;
    return new Dense(units, random.nextInt(7) != 0, init);
  }

  private Dropout dropout() {
    // Rate 0 keeps everything: such networks get their training gradients checked by the oracle.
    return new Dropout(new double[] {0.0, 0.0, 0.1, 0.25, 0.5, 0.9}[random.nextInt(6)]);
  }

  // ---------------------------------------------------------------- invalid networks

  private Case invalid(Declaration valid) {
    List<Field> fields = new ArrayList<>(valid.fields);
    Oracle oracle = Oracle.of(valid);
    // The input shape of each field: a Dense field's is that of its implicit flatten.
    List<Oracle.Shape> inputs = new ArrayList<>();
    for (int i = 0; i < oracle.layers.size(); i++) {
      Oracle.Layer l = oracle.layers.get(i);
      inputs.add(l.in);
      if (l.implicit) {
        i++;
      }
    }
    Oracle.Shape output = oracle.output();
    int spatialPrefix = 0; // fields [0, spatialPrefix] read a spatial input
    while (spatialPrefix + 1 < inputs.size() && !inputs.get(spatialPrefix + 1).flat()) {
      spatialPrefix++;
    }
    int at = random.nextInt(spatialPrefix + 1); // a position whose input is spatial
    Oracle.Shape in = inputs.get(at);
    int any = random.nextInt(fields.size());
    String name = "bad";
    int kind = random.nextInt(37);
    switch (kind) {
      case 0 -> {
        fields.add(at, field(name, conv().withFilters(pick(0, -1, -7, Integer.MIN_VALUE))));
        return new Case(valid.withFields(fields), "bad-filters", "filters <= 0");
      }
      case 1 -> {
        int[][] bad = {{0}, {-2}, {3, 0}, {}, {2, 2, 2}};
        fields.add(at, field(name, conv().withKernel(bad[random.nextInt(bad.length)])));
        return new Case(valid.withFields(fields), "bad-kernel", "bad kernel");
      }
      case 2 -> {
        int[][] bad = {{0}, {-1}, {1, 0}, {}, {1, 1, 1}};
        fields.add(at, field(name, conv().withStride(bad[random.nextInt(bad.length)])));
        return new Case(valid.withFields(fields), "bad-stride", "bad conv stride");
      }
      case 3 -> {
        int[][] bad = {{0}, {2, -1}, {1, 1, 1}, {Integer.MIN_VALUE}};
        Pool p = pool(random.nextBoolean());
        fields.add(at, field(name, new Pool(p.max(), p.size(), bad[random.nextInt(bad.length)], p.padding())));
        return new Case(valid.withFields(fields), "bad-stride", "bad pool stride");
      }
      case 4 -> {
        int[][] bad = {{-1}, {1, -2}, {1, 1, 1}, {Integer.MIN_VALUE}};
        Conv c = conv();
        fields.add(at, field(name, new Conv(c.filters(), new int[] {1}, c.stride(), Padding.VALID,
            bad[random.nextInt(bad.length)], c.bias(), null)));
        return new Case(valid.withFields(fields), "bad-pad", "negative pad");
      }
      case 5 -> {
        Conv c = conv();
        fields.add(at, field(name, new Conv(c.filters(), c.kernel(), c.stride(), Padding.SAME,
            new int[] {random.nextInt(3)}, c.bias(), null)));
        return new Case(valid.withFields(fields), "pad-and-same", "pad with SAME");
      }
      case 6 -> {
        int p = random.nextInt(3);
        int[] kernel = random.nextBoolean()
            ? new int[] {in.h() + 2 * p + 1 + random.nextInt(3), 1}
            : new int[] {1, in.w() + 2 * p + 1 + random.nextInt(3)};
        fields.add(at, field(name, new Conv(2, kernel, new int[] {1}, Padding.VALID,
            p == 0 ? new int[0] : new int[] {p}, true, null)));
        return new Case(valid.withFields(fields), "kernel-too-large", "kernel beyond the input");
      }
      case 7 -> {
        int[] size = random.nextBoolean()
            ? new int[] {in.h() + 1 + random.nextInt(3), 1}
            : new int[] {1, in.w() + 1 + random.nextInt(3)};
        fields.add(at, field(name, new Pool(random.nextBoolean(), size, new int[0], Padding.VALID)));
        return new Case(valid.withFields(fields), "window-too-large", "pool beyond the input");
      }
      case 8 -> {
        int[][] bad = {{0}, {}, {2, -1}, {1, 2, 3}};
        fields.add(at, field(name, new Pool(random.nextBoolean(), bad[random.nextInt(bad.length)],
            new int[0], Padding.VALID)));
        return new Case(valid.withFields(fields), "bad-pool-size", "bad pool size");
      }
      case 9 -> {
        fields.add(random.nextInt(fields.size() + 1),
            field(name, new Dense(pick(0, -5, Integer.MIN_VALUE), true, null)));
        return new Case(valid.withFields(fields), "bad-units", "units <= 0");
      }
      case 10 -> {
        double rate = new double[] {1.0, -0.1, 1.5, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY}[random.nextInt(6)];
        fields.add(random.nextInt(fields.size() + 1), field(name, new Dropout(rate)));
        return new Case(valid.withFields(fields), "bad-dropout-rate", "rate outside [0, 1)");
      }
      case 11 -> {
        double alpha = new double[] {-0.01, -1, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY}[random.nextInt(5)];
        fields.add(random.nextInt(fields.size() + 1),
            new Field(name, random.nextBoolean() ? null : dense(), Act.leaky(alpha)));
        return new Case(valid.withFields(fields), "bad-alpha", "bad LeakyReLU alpha");
      }
      case 12 -> {
        int j = random.nextInt(fields.size());
        Field f = fields.get(j);
        fields.set(j, new Field(f.name(), f.layer(), Act.of(ActKind.SOFTMAX)));
        fields.add(j + 1, field(name, dense()));
        return new Case(valid.withFields(fields), "softmax-not-last", "Softmax on a hidden layer");
      }
      case 13 -> {
        List<Field> prefix = new ArrayList<>(fields.subList(0, at));
        prefix.add(random.nextBoolean()
            ? new Field(name, null, Act.of(ActKind.SOFTMAX))
            : new Field(name, random.nextBoolean()
                ? new Pool(true, new int[] {1}, new int[0], Padding.VALID) : new Conv(2, new int[] {1},
                new int[] {1}, Padding.VALID, new int[0], true, null), Act.of(ActKind.SOFTMAX)));
        return new Case(valid.withFields(prefix), "softmax-needs-vector", "Softmax on an image");
      }
      case 14, 15 -> {
        int after = flatOutput(fields, spatialPrefix, output);
        Spec spatial =
            kind == 14 ? new Conv(1, new int[] {1}, new int[] {1}, Padding.VALID, new int[0], true, null)
                : new Pool(random.nextBoolean(), new int[] {1}, new int[0], Padding.VALID);
        fields.add(after + 1, field(name, spatial));
        return new Case(valid.withFields(fields), "needs-spatial-input", "Conv/Pool after flattening");
      }
      case 16 -> {
        int after = flatOutput(fields, spatialPrefix, output);
        fields.add(after + 1, field(name, new Flatten()));
        return new Case(valid.withFields(fields), "already-flat", "Flatten of a vector");
      }
      case 17 -> {
        Spec second = random.nextBoolean() ? new Dropout(0.5) : new Flatten();
        fields.add(at, new Field(name, "", "Layer", List.of(pool(true), second), List.of()));
        return new Case(valid.withFields(fields), "two-layers", "two layers on one field");
      }
      case 18 -> {
        // Two different ones: the same annotation twice is javac's error (not repeatable), and
        // javac then runs no processor for the whole batch.
        Act first = activation();
        Act second = activation();
        while (second.kind() == first.kind()) {
          second = activation();
        }
        fields.add(random.nextInt(fields.size() + 1), new Field(name, "", "Layer",
            random.nextBoolean() ? List.of() : List.of(new Dropout(0.1)), List.of(first, second)));
        return new Case(valid.withFields(fields), "two-activations", "two activations on one field");
      }
      case 19 -> {
        int bad = pick(0, -1, Integer.MIN_VALUE);
        Declaration d = switch (random.nextInt(3)) {
          case 0 -> valid.withInput(bad, valid.width, valid.channels);
          case 1 -> valid.withInput(valid.height, bad, valid.channels);
          default -> valid.withInput(valid.height, valid.width, bad);
        };
        return new Case(d, "bad-input-shape", "input dimension <= 0");
      }
      case 20 -> {
        List<Field> none = random.nextBoolean() ? List.of()
            : List.of(new Field("forgotten", "", "Layer", List.of(), List.of()));
        return new Case(valid.withFields(none), "no-layers", "no layer fields");
      }
      case 21 -> {
        Field f = fields.get(any);
        String modifiers = new String[] {"private", "static", "private static", "public static"}[random.nextInt(4)];
        fields.set(any, new Field(f.name(), modifiers, f.type(), f.layers(), f.acts(), f.from()));
        return new Case(valid.withFields(fields), "field-modifiers", "static or private field");
      }
      case 22 -> {
        Field f = fields.get(any);
        String type = new String[] {"int", "String", "Object", "float[]", "java.util.List<Layer>"}[random.nextInt(5)];
        fields.set(any, new Field(f.name(), f.modifiers(), type, f.layers(), f.acts(), f.from()));
        return new Case(valid.withFields(fields), "field-type", "field not of type Layer");
      }
      case 23 -> {
        return new Case(valid.withInput(100_000, 50_000 + random.nextInt(50_000), 1 + random.nextInt(3)),
            "input-too-large", "input beyond an array");
      }
      case 24 -> {
        List<Field> big = List.of(field("d", new Dense(3_000, true, null)));
        return new Case(valid.withInput(1_000, 1_000, 1).withFields(big), "too-many-parameters",
            "3,000,000,000 weights");
      }
      case 25 -> {
        fields.add(at, field(name, new Conv(4, new int[] {1}, new int[] {1}, Padding.VALID,
            new int[] {20_000 + random.nextInt(1_000_000)}, true, null)));
        return new Case(valid.withFields(fields), "activation-too-large", "huge pad");
      }
      case 26 -> {
        // Each activation fits, but training keeps all of them: more than one float[] holds.
        List<Field> big = List.of(
            field("c", new Conv(2, new int[] {1}, new int[] {1}, Padding.VALID, new int[] {11_000}, true, null)),
            new Field("r", null, Act.of(ActKind.RELU)),
            new Field("t", null, Act.of(ActKind.TANH)));
        return new Case(valid.withInput(1, 1, 1).withFields(big), "workspace-too-large",
            "training workspace beyond an array");
      }
      case 27 -> {
        // A pad so large the padded input cannot be indexed with an int, even if the stride
        // leaves few outputs.
        fields.add(at, field(name, new Conv(1, new int[] {1}, new int[] {Integer.MAX_VALUE},
            Padding.VALID, new int[] {Integer.MAX_VALUE - random.nextInt(3)}, true, null)));
        return new Case(valid.withFields(fields), "bad-pad", "pad beyond an int");
      }
      case 28 -> {
        return new Case(valid.withClass("public", List.of()),
            "not-abstract", "not abstract");
      }
      case 29 -> {
        String constructor = random.nextBoolean()
            ? "private " + valid.name + "() {}" : valid.name + "(int size) {}";
        return new Case(valid.withClass("abstract", List.of(constructor)), "no-constructor",
            "no usable constructor");
      }
      case 30 -> {
        return new Case(valid.withClass("public abstract", List.of("abstract float[] run(float[] x);")),
            "abstract-method", "abstract method");
      }
      case 31 -> {
        fields.add(at, new Field(name, new Dropout(0.1), null).from("nosuch"));
        return new Case(valid.withFields(fields), "unknown-layer", "@From an unknown name");
      }
      case 32 -> {
        int later = random.nextInt(fields.size());
        fields.add(random.nextInt(later + 1), new Field(name, new Dropout(0.1), null).from(fields.get(later).name()));
        return new Case(valid.withFields(fields), "reads-later-layer", "@From a later field");
      }
      case 33 -> {
        int k = 1 + random.nextInt(3);
        fields.add(field("narrow", new Conv(k, new int[] {1}, new int[] {1}, Padding.VALID, new int[0], true, null)).from(Declaration.INPUT));
        fields.add(field("wide", new Conv(k + 1, new int[] {1}, new int[] {1}, Padding.VALID, new int[0], true, null)).from(Declaration.INPUT));
        fields.add(field(name, new Merge(true)).from("narrow", "wide"));
        return new Case(valid.withFields(fields), "add-shapes", "Add of different shapes");
      }
      case 34 -> {
        fields.add(field("same", new Conv(2, new int[] {1}, new int[] {1}, Padding.VALID, new int[0], true, null)).from(Declaration.INPUT));
        fields.add(field("padded", new Conv(2, new int[] {1}, new int[] {1}, Padding.VALID, new int[] {1}, true, null)).from(Declaration.INPUT));
        fields.add(field(name, new Merge(false)).from("same", "padded"));
        return new Case(valid.withFields(fields), "concat-sizes", "Concat of different sizes");
      }
      case 35 -> {
        Depthwise d = depthwise();
        fields.add(at, field(name, new Depthwise(pick(0, -1, -3, Integer.MIN_VALUE), d.kernel(),
            d.stride(), d.padding(), d.pad(), d.bias(), d.init())));
        return new Case(valid.withFields(fields), "bad-depth-multiplier", "depthMultiplier <= 0");
      }
      default -> {
        String first = fields.get(0).name();
        return switch (random.nextInt(4)) {
          case 0 -> {
            fields.add(field(name, new Merge(random.nextBoolean())));
            yield new Case(valid.withFields(fields), "merge-without-from", "a merge without @From");
          }
          case 1 -> {
            fields.add(field(name, new Merge(random.nextBoolean())).from(first));
            yield new Case(valid.withFields(fields), "merge-needs-two", "a merge of one");
          }
          case 2 -> {
            fields.add(field(name, new Dropout(0.2)).from(first, Declaration.INPUT));
            yield new Case(valid.withFields(fields), "one-input", "two inputs to a Dropout");
          }
          default -> {
            fields.add(new Field(name, "", "Layer", List.of(), List.of(), List.of(first)));
            yield new Case(valid.withFields(fields), "from-without-layer", "@From alone");
          }
        };
      }
    }
  }

  /** The index of a field whose output is flat, appending a Dense if there is none. */
  private int flatOutput(List<Field> fields, int spatialPrefix, Oracle.Shape output) {
    // A field is about to follow the last one: its Softmax would be misplaced, and that error
    // leaves the shapes after it unknown and unchecked (by design: no follow-on errors).
    Field last = fields.get(fields.size() - 1);
    if (last.act() != null && last.act().kind() == ActKind.SOFTMAX) {
      fields.set(fields.size() - 1, new Field(last.name(), last.layer(), null));
    }
    if (spatialPrefix + 1 < fields.size()) {
      return spatialPrefix; // the next field reads a vector
    }
    if (!output.flat()) {
      fields.add(field("flat", dense()));
    }
    return fields.size() - 1;
  }

  private static Field field(String name, Spec spec) {
    return new Field(name, spec, null);
  }

  private int pick(int... values) {
    return values[random.nextInt(values.length)];
  }
}
