package dev.kiln.spark;

import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Passes rows on, but partition 1 throws after its first 300 rows: on its first attempt only (a
 * task Spark retries), or on every attempt (a job that dies while writing). {@link #FAILURES}
 * counts the throws (local mode: the tasks run in the test's JVM).
 */
final class InjectedFailure implements MapPartitionsFunction<Row, Row> {
  static final AtomicInteger FAILURES = new AtomicInteger();

  private final boolean firstAttemptOnly;

  InjectedFailure(boolean firstAttemptOnly) {
    this.firstAttemptOnly = firstAttemptOnly;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    TaskContext task = TaskContext.get();
    boolean fail = task.partitionId() == 1 && (!firstAttemptOnly || task.attemptNumber() == 0);
    return new Iterator<>() {
      int passed;

      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        if (fail && passed++ == 300) {
          FAILURES.incrementAndGet();
          throw new IllegalStateException(
              "injected: " + (firstAttemptOnly ? "the first attempt of" : "every attempt of") + " partition 1 fails");
        }
        return rows.next();
      }
    };
  }
}
