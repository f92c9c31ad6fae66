package dev.kiln.runtime.train;

/** The loss or a gradient became NaN or infinite; the message names where and what to try. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
