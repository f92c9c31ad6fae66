package dev.kiln.processor.infer;

import dev.kiln.annotations.From;
import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.FromDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.Node;
import dev.kiln.processor.model.TensorShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each layer reads: the layer declared before it, or the layers its {@code @From} names.
 * Names resolve only to earlier fields, so the network is acyclic by construction; a name that
 * is unknown, later or the field itself is an error on its {@code @From}.
 */
final class Sources {
  /**
   * One resolved input.
   *
   * @param index the node it reads, or {@link Node#NETWORK_INPUT}
   * @param shape its output shape, or null when an error left it unknown
   * @param name how messages call it: a field name, or "the input"
   */
  record Source(int index, TensorShape shape, String name) {}

  private final Map<String, Source> byName = new LinkedHashMap<>(); // in declaration order
  private final Set<String> fieldNames = new TreeSet<>();
  private final Diagnostics diagnostics;
  private final TensorShape input;
  private Source previous;

  Sources(TensorShape input, List<FieldDeclaration> fields, Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
    this.input = input;
    this.previous = inputSource();
    fields.forEach(f -> fieldNames.add(f.name()));
  }

  /** The inputs of {@code field}, or null after reporting a name that does not resolve. */
  List<Source> resolve(FieldDeclaration field, boolean merge) {
    if (field.from().isEmpty()) {
      if (merge) {
        String kind = field.layers().get(0).annotationName();
        diagnostics.error(
            field.layers().get(0).origin(),
            null,
            "merge-without-from",
            field.name() + ": @" + kind + " merges two or more layers; name them, e.g. @" + kind
                + " @From({\"" + previous.name().replace("the input", From.INPUT) + "\", \"shortcut\"})");
        return null;
      }
      return List.of(previous);
    }
    FromDeclaration from = field.from().get();
    List<Source> read = new ArrayList<>();
    for (String name : from.names()) {
      Source source = name.equals(From.INPUT) ? inputSource() : byName.get(name);
      if (source == null) {
        unresolved(field, from, name);
        return null;
      }
      read.add(source);
    }
    LayerDeclaration layer = field.layers().isEmpty() ? null : field.layers().get(0);
    String kind = layer == null ? field.activations().isEmpty() ? "a layer" : "an activation"
        : "@" + layer.annotationName();
    if (merge && read.size() < 2) {
      diagnostics.error(
          from.origin(), "value", "merge-needs-two",
          field.name() + ": " + kind + " merges two or more layers, but @From names "
              + read.size() + "; name every layer it merges");
      return null;
    }
    if (!merge && read.size() != 1) {
      diagnostics.error(
          from.origin(), "value", "one-input",
          field.name() + ": " + kind + " reads one layer, but @From names " + read.size()
              + "; merge them first with @Add (same shapes) or @Concat (along channels)");
      return null;
    }
    return read;
  }

  private Source inputSource() {
    return new Source(Node.NETWORK_INPUT, input, "the input");
  }

  private void unresolved(FieldDeclaration field, FromDeclaration from, String name) {
    String message;
    String tag;
    if (name.equals(field.name())) {
      tag = "reads-itself";
      message = "@From names the layer itself, which would be a cycle; a layer reads earlier layers";
    } else if (fieldNames.contains(name)) {
      tag = "reads-later-layer";
      message = "@From names '" + name + "', which is declared after it; a layer reads earlier"
          + " layers only (a network has no cycles), so move '" + name + "' above it";
    } else {
      tag = "unknown-layer";
      String closest = closest(name);
      message = "@From names '" + name + "', but there is no layer field of that name; "
          + (closest == null ? "the" : "did you mean '" + closest + "'? The")
          + " layers before it are " + known() + ", and @From(From.INPUT) reads the network's"
          + " input";
    }
    diagnostics.error(from.origin(), "value", tag, field.name() + ": " + message);
  }

  /** The earlier layers, in declaration order. */
  private String known() {
    return byName.isEmpty() ? "none" : String.join(", ", byName.keySet());
  }

  /**
   * The earlier layer whose name is nearest to {@code name} (ignoring case, at most a third of
   * its letters apart, and at least one), or null if none is that near: a typo's likely meaning.
   */
  private String closest(String name) {
    String best = null;
    int bestDistance = Math.max(1, name.length() / 3) + 1;
    for (String candidate : byName.keySet()) {
      int distance = distance(name.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** Records a field whose last node is {@code index}, with that output shape. */
  void known(String name, int index, TensorShape shape) {
    previous = new Source(index, shape, name);
    byName.put(name, previous);
  }

  /** Records a field whose output is unknown after an error: what reads it skips shape checks. */
  void unknown(String name) {
    previous = new Source(Integer.MIN_VALUE, null, name);
    byName.put(name, previous);
  }
}
