package dev.kiln.processor;

import static com.google.testing.compile.Compiler.javac;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Random network declarations through the real processor, from a fixed seed so every failure
 * reproduces. Every valid declaration must compile, and its generated forward pass must match the
 * {@link Oracle}; for a sample, so must trainSample's loss, prediction and every parameter
 * gradient (without dropout: checked against the oracle; with dropout, whose masks come from the
 * generated noise stream: against finite differences). Valid networks include residual ({@code
 * Add}) and split-and-merge ({@code Concat}) blocks. Every invalid declaration must get the
 * Kiln error its mistake calls for, every error must be a tagged Kiln diagnostic, and the
 * processor must never fail ([kiln:internal]).
 *
 * <p>A failure prints the declaration's Java source, ready to paste into a regression test.
 */
class FuzzTest {
  /** Fixed, so failures reproduce; explore others with {@code -Dkiln.fuzz.seed=N}. */
  static final long SEED = Long.getLong("kiln.fuzz.seed", 0x4B494C4E2026L);
  static final int DECLARATIONS = Integer.getInteger("kiln.fuzz.declarations", 1_100);
  static final double VALID_SHARE = 0.7;
  /** Declarations per javac run: one run per declaration would take minutes. */
  static final int BATCH = 100;
  static final int GRADIENT_CHECKS = Integer.getInteger("kiln.fuzz.gradients", 100);
  static final int DROPOUT_CHECKS = GRADIENT_CHECKS / 4;
  static final int FINITE_DIFFERENCE_PARAMETERS = 16;

  private final List<String> failures = new ArrayList<>();
  private final Map<String, Integer> errorTags = new TreeMap<>();
  private final Map<String, Integer> warningTags = new TreeMap<>();

  @Test
  void randomDeclarationsCompileAndMatchTheOracleOrGetKilnErrors() {
    long started = System.nanoTime();
    Fuzzer fuzzer = new Fuzzer(SEED);
    List<Fuzzer.Case> valid = new ArrayList<>();
    List<Fuzzer.Case> invalid = new ArrayList<>();
    for (int i = 0; i < DECLARATIONS; i++) {
      Fuzzer.Case c = fuzzer.next(VALID_SHARE);
      (c.valid() ? valid : invalid).add(c);
    }

    for (int from = 0; from < invalid.size(); from += BATCH) {
      checkInvalid(invalid.subList(from, Math.min(invalid.size(), from + BATCH)));
    }
    long compiled = System.nanoTime();

    Counts counts = new Counts();
    for (int from = 0; from < valid.size(); from += BATCH) {
      checkValid(valid.subList(from, Math.min(valid.size(), from + BATCH)), counts);
    }

    System.out.printf(
        "FUZZ seed=%d declarations=%d valid=%d invalid=%d forward_checked=%d inputs=%d"
            + " gradient_checked=%d gradient_skipped_near_kinks=%d dropout_finite_difference=%d"
            + " (%d parameters) worst_forward=%.2e worst_gradient=%.2e failures=%d seconds=%.1f"
            + " (invalid %.1f)%n",
        SEED, DECLARATIONS, valid.size(), invalid.size(), counts.forward, counts.inputs,
        counts.gradients, counts.skipped, counts.dropout, counts.differences, counts.worstForward,
        counts.worstGradient, failures.size(), (System.nanoTime() - started) / 1e9,
        (compiled - started) / 1e9);
    long graphs =
        valid.stream().filter(c -> c.declaration().fields.stream().anyMatch(f -> !f.from().isEmpty())).count();
    System.out.println("FUZZ valid graphs (a residual or split-and-merge block): " + graphs);
    System.out.println("FUZZ errors by tag: " + errorTags);
    System.out.println("FUZZ warnings by tag: " + warningTags);
    if (!failures.isEmpty()) {
      System.out.println("FUZZ failures:\n\n" + String.join("\n\n", failures));
    }
    assertTrue(
        failures.isEmpty(),
        failures.size() + " fuzzed declarations failed; the first:\n\n" + (failures.isEmpty() ? "" : failures.get(0)));
    assertTrue(counts.gradients >= GRADIENT_CHECKS * 9 / 10, "too few gradient checks: " + counts.gradients);
  }

  static final class Counts {
    int forward;
    int inputs;
    int gradients;
    int skipped;
    int dropout;
    int differences;
    double worstForward;
    double worstGradient;
  }

  static Compilation compile(List<Fuzzer.Case> cases) {
    List<JavaFileObject> files = new ArrayList<>();
    cases.forEach(c -> files.add(c.declaration().file()));
    // javac stops reporting after 100 errors by default; each invalid network has at least one.
    return javac()
        .withProcessors(new KilnProcessor())
        .withOptions("-Xmaxerrs", "100000", "-Xmaxwarns", "100000")
        .compile(files);
  }

  /** The network a diagnostic is about: its source file's class, or the model generated from it. */
  static String network(Diagnostic<? extends JavaFileObject> d) {
    if (d.getSource() == null) {
      return "(no file)";
    }
    String path = d.getSource().toUri().getPath();
    String file = path.substring(path.lastIndexOf('/') + 1).replace(".java", "");
    return file.endsWith("Model") ? file.substring(0, file.length() - "Model".length()) : file;
  }

  static boolean generated(Diagnostic<? extends JavaFileObject> d) {
    return d.getSource() != null && d.getSource().toUri().getPath().endsWith("Model.java");
  }

  private void fail(Fuzzer.Case c, String problem) {
    failures.add(
        "[" + (c.valid() ? "valid" : "invalid, mutation: " + c.mutation() + ", expected [kiln:" + c.tag() + "]")
            + "] " + problem + "\n" + c.declaration().source());
  }

  private void count(Diagnostic<? extends JavaFileObject> d) {
    String message = d.getMessage(Locale.ROOT);
    if (message.startsWith("[kiln:")) {
      String tag = message.substring(6, message.indexOf(']'));
      (d.getKind() == Diagnostic.Kind.ERROR ? errorTags : warningTags).merge(tag, 1, Integer::sum);
    }
  }

  // ---------------------------------------------------------------- invalid declarations

  private void checkInvalid(List<Fuzzer.Case> cases) {
    Compilation compilation;
    try {
      compilation = compile(cases);
    } catch (RuntimeException | Error e) {
      cases.forEach(c -> fail(c, "javac or the processor threw " + e));
      return;
    }
    Map<String, List<Diagnostic<? extends JavaFileObject>>> byNetwork = new HashMap<>();
    for (Diagnostic<? extends JavaFileObject> d : compilation.diagnostics()) {
      count(d);
      byNetwork.computeIfAbsent(network(d), k -> new ArrayList<>()).add(d);
    }
    if (cases.size() > 1
        && cases.stream().anyMatch(c -> !byNetwork.containsKey(c.declaration().name))) {
      // A Java error in one source (not Kiln's) can stop javac before any processor runs, for
      // every source of the run: check each on its own to find the one at fault.
      cases.forEach(c -> checkInvalid(List.of(c)));
      return;
    }
    for (Fuzzer.Case c : cases) {
      List<Diagnostic<? extends JavaFileObject>> found =
          byNetwork.getOrDefault(c.declaration().name, List.of());
      List<String> errors = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : found) {
        if (d.getKind() == Diagnostic.Kind.ERROR) {
          errors.add(d.getMessage(Locale.ROOT));
        }
      }
      String expected = "[kiln:" + c.tag() + "]";
      if (errors.stream().anyMatch(e -> e.startsWith("[kiln:internal]"))) {
        fail(c, "the processor failed: " + errors);
      } else if (found.stream().anyMatch(FuzzTest::generated)) {
        fail(c, "code was generated for an invalid network: " + errors);
      } else if (errors.stream().noneMatch(e -> e.startsWith(expected))) {
        fail(c, "expected an error " + expected + ", got " + errors);
      } else if (!errors.stream().allMatch(e -> e.startsWith("[kiln:"))) {
        fail(c, "an error without a Kiln tag: " + errors);
      }
    }
    if (byNetwork.containsKey("(no file)")) {
      failures.add("diagnostics on no file: " + byNetwork.get("(no file)"));
    }
  }

  // ---------------------------------------------------------------- valid declarations

  private void checkValid(List<Fuzzer.Case> cases, Counts counts) {
    List<Fuzzer.Case> compilable = new ArrayList<>(cases);
    Compilation compilation = null;
    for (int round = 0; round < 3 && !compilable.isEmpty(); round++) {
      try {
        compilation = compile(compilable);
      } catch (RuntimeException | Error e) {
        compilable.forEach(c -> fail(c, "javac or the processor threw " + e));
        return;
      }
      Map<String, List<String>> errors = new LinkedHashMap<>();
      for (Diagnostic<? extends JavaFileObject> d : compilation.diagnostics()) {
        if (round == 0) {
          count(d);
        }
        if (d.getKind() == Diagnostic.Kind.ERROR) {
          errors.computeIfAbsent(network(d), k -> new ArrayList<>())
              .add((generated(d) ? "in the generated model, line " + d.getLineNumber() + ": " : "")
                  + d.getMessage(Locale.ROOT));
        }
      }
      if (errors.isEmpty()) {
        break;
      }
      // javac writes no class file if any source has an error: set the failures aside, retry.
      List<Fuzzer.Case> next = new ArrayList<>();
      for (Fuzzer.Case c : compilable) {
        if (errors.containsKey(c.declaration().name)) {
          fail(c, "a valid declaration did not compile: " + errors.get(c.declaration().name));
        } else {
          next.add(c);
        }
      }
      if (next.size() == compilable.size()) {
        compilable.forEach(c -> fail(c, "the batch did not compile: " + errors));
        return;
      }
      compilable = next;
      compilation = null;
    }
    if (compilation == null) {
      return;
    }
    ClassLoader loader = CompiledModels.loader(CompiledModels.classFiles(compilation));
    for (Fuzzer.Case c : compilable) {
      try {
        check(c, loader, counts);
      } catch (AssertionError | RuntimeException e) {
        fail(c, String.valueOf(e));
      }
    }
  }

  private void check(Fuzzer.Case c, ClassLoader loader, Counts counts) {
    Declaration d = c.declaration();
    Oracle oracle = Oracle.of(d);
    Model model = CompiledModels.create(loader, d.name, 7);
    OracleChecks.layout(model, oracle);
    SplittableRandom random = new SplittableRandom(d.spelling);
    OracleChecks.randomParameters(model, random);

    float[] a = OracleChecks.randomInput(model, random);
    float[] b = OracleChecks.randomInput(model, random);
    counts.worstForward = Math.max(counts.worstForward, OracleChecks.forward(model, oracle, a));
    counts.worstForward = Math.max(counts.worstForward, OracleChecks.forward(model, oracle, b));
    counts.forward++;
    counts.inputs += 2;

    // A batch on two threads gives exactly what one predict gives.
    float[] inputs = new float[2 * model.inputSize()];
    System.arraycopy(a, 0, inputs, 0, a.length);
    System.arraycopy(b, 0, inputs, a.length, b.length);
    float[] outputs = new float[2 * model.outputSize()];
    model.predictBatch(inputs, outputs, 2);
    float[] one = new float[2 * model.outputSize()];
    System.arraycopy(model.predict(a), 0, one, 0, model.outputSize());
    System.arraycopy(model.predict(b), 0, one, model.outputSize(), model.outputSize());
    if (!java.util.Arrays.equals(one, outputs)) {
      throw new AssertionError("predictBatch on 2 threads differs from predict");
    }

    boolean dropout = oracle.layers.stream().anyMatch(l -> l.kind == Oracle.Kind.DROPOUT && l.rate > 0);
    if (!dropout && counts.gradients + counts.skipped < GRADIENT_CHECKS) {
      double worst = OracleChecks.gradients(model, oracle, random);
      if (worst < 0) {
        counts.skipped++;
      } else {
        counts.gradients++;
        counts.worstGradient = Math.max(counts.worstGradient, worst);
      }
    } else if (dropout && counts.dropout < DROPOUT_CHECKS) {
      counts.differences += OracleChecks.finiteDifferences(model, random, FINITE_DIFFERENCE_PARAMETERS);
      counts.dropout++;
    }
  }
}
