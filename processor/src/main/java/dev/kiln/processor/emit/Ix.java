package dev.kiln.processor.emit;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds readable index expressions for generated code: {@code Ix.of("yo").plus("oh", 168)
 * .plus("ow", 6)} prints {@code yo + oh * 168 + ow * 6}; terms times 0 vanish, times 1 lose the
 * factor, and constants are folded into one literal.
 *
 * <p>Factors and constants are printed as Java ints, wrapped modulo 2^32 if they do not fit (a
 * stride of {@code Integer.MAX_VALUE} times a row length, multiplying an output row that is always
 * 0). Java's int arithmetic wraps the same way, so an index whose value fits in an int, as every
 * array index does, comes out exactly.
 */
final class Ix {
  private final List<String> terms;
  private final long constant;
  /** Started from a constant base (an offset): print it first, {@code p[150 + f]}. */
  private final boolean baseFirst;
  /** A named constant printed first, {@code p[C1_BIAS + f]}; null if none. */
  private final String base;

  private Ix(List<String> terms, long constant, boolean baseFirst) {
    this(terms, constant, baseFirst, null);
  }

  private Ix(List<String> terms, long constant, boolean baseFirst, String base) {
    this.terms = terms;
    this.constant = constant;
    this.baseFirst = baseFirst;
    this.base = base;
  }

  /**
   * From a named constant of the generated class ({@code C1_WEIGHTS}): javac folds it with the
   * literals into one constant, so the bytecode is that of the number.
   */
  static Ix named(String constant) {
    return new Ix(List.of(), 0, false, constant);
  }

  static Ix of(String variable) {
    return new Ix(List.of(variable), 0, false);
  }

  static Ix of(String variable, long factor) {
    return constant(0).plus(variable, factor);
  }

  static Ix constant(long value) {
    return new Ix(List.of(), value, value != 0);
  }

  Ix plus(String variable) {
    return plus(variable, 1);
  }

  Ix plus(String variable, long factor) {
    int wrapped = (int) factor;
    if (wrapped == 0) {
      return this;
    }
    List<String> next = new ArrayList<>(terms);
    next.add(wrapped == 1 ? variable : variable + " * " + wrapped);
    return new Ix(next, constant, baseFirst, base);
  }

  Ix plus(long value) {
    return new Ix(terms, constant + value, baseFirst, base);
  }

  @Override
  public String toString() {
    int constant = (int) this.constant;
    if (base != null) {
      StringBuilder s = new StringBuilder(base);
      if (constant > 0) {
        s.append(" + ").append(constant);
      } else if (constant < 0) {
        s.append(" - ").append(-constant);
      }
      terms.forEach(t -> s.append(" + ").append(t));
      return s.toString();
    }
    if (terms.isEmpty()) {
      return String.valueOf(constant);
    }
    if (baseFirst && constant > 0) {
      return constant + " + " + String.join(" + ", terms);
    }
    StringBuilder s = new StringBuilder(String.join(" + ", terms));
    if (constant > 0) {
      s.append(" + ").append(constant);
    } else if (constant < 0) {
      s.append(" - ").append(-constant);
    }
    return s.toString();
  }
}
