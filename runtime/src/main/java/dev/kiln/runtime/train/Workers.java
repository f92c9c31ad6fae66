package dev.kiln.runtime.train;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntConsumer;

/**
 * A fixed team of threads that run one job together, each with its own index, and wait for each
 * other at the end. The calling thread is member 0, so {@code threads = 1} starts no thread.
 * Running a job allocates nothing, so a training step produces no garbage.
 */
final class Workers implements AutoCloseable {
  private final int threads;
  private final CyclicBarrier start;
  private final CyclicBarrier done;
  private final Thread[] team;
  private volatile IntConsumer job;
  private volatile boolean closed;
  private volatile Throwable failure;

  Workers(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.threads = threads;
    this.start = new CyclicBarrier(threads);
    this.done = new CyclicBarrier(threads);
    this.team = new Thread[threads - 1];
    for (int i = 1; i < threads; i++) {
      int index = i;
      Thread thread = new Thread(() -> loop(index), "kiln-trainer-" + i);
      thread.setDaemon(true);
      team[i - 1] = thread;
      thread.start();
    }
  }

  int threads() {
    return threads;
  }

  /** Runs {@code job.accept(index)} on every member and returns when all have finished. */
  void run(IntConsumer job) {
    this.job = job;
    failure = null;
    await(start);
    try {
      job.accept(0);
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    await(done);
    Throwable f = failure;
    if (f instanceof RuntimeException runtime) {
      throw runtime;
    } else if (f instanceof Error error) {
      throw error;
    }
  }

  private void loop(int index) {
    while (true) {
      await(start);
      if (closed) {
        return;
      }
      try {
        job.accept(index);
      } catch (RuntimeException | Error e) {
        failure = e;
      }
      await(done);
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("training thread interrupted", e);
    } catch (BrokenBarrierException e) {
      throw new IllegalStateException("a training thread failed", e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (threads > 1) {
      await(start); // releases the team, which sees closed and ends
    }
    for (Thread thread : team) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
