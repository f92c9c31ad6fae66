package dev.kiln.processor.model;

/** An elementwise (or, for softmax, per-vector) activation function. */
public record Activation(Kind kind, double alpha) {

  public enum Kind {
    RELU("ReLU"),
    RELU6("ReLU6"),
    LEAKY_RELU("LeakyReLU"),
    SIGMOID("Sigmoid"),
    TANH("Tanh"),
    SOFTMAX("Softmax");

    private final String displayName;

    Kind(String displayName) {
      this.displayName = displayName;
    }

    public String displayName() {
      return displayName;
    }
  }

  public static Activation of(Kind kind) {
    return new Activation(kind, 0);
  }

  public String describe() {
    return kind == Kind.LEAKY_RELU ? "LeakyReLU(" + alpha + ")" : kind.displayName();
  }
}
