package dev.kiln.processor.model;

import java.util.ArrayList;
import java.util.List;

/** Collects diagnostics instead of throwing, so that every mistake is reported in one build. */
public final class Diagnostics {
  private final List<Diagnostic> all = new ArrayList<>();

  public void error(Origin origin, String attribute, String tag, String message) {
    all.add(new Diagnostic(Diagnostic.Kind.ERROR, tag, message, origin, attribute));
  }

  public void warning(Origin origin, String attribute, String tag, String message) {
    all.add(new Diagnostic(Diagnostic.Kind.WARNING, tag, message, origin, attribute));
  }

  public boolean hasErrors() {
    return all.stream().anyMatch(d -> d.kind() == Diagnostic.Kind.ERROR);
  }

  public List<Diagnostic> all() {
    return List.copyOf(all);
  }
}
