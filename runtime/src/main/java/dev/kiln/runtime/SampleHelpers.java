package dev.kiln.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Helper threads for {@link Batches#forEach}: one per core beyond the first, started on first
 * use, daemon threads. A task is offered to a helper only if it is idle (a compare-and-set), else
 * the caller does the work itself, so any number of callers may run at once, nested ones
 * included, and none waits for another's helper.
 *
 * <p>After a task a helper spins for {@link #SPIN_NANOS} before it parks, so that the next batch
 * finds it awake. Through the common fork-join pool, whose workers park at once, a batch of 16
 * LeNet-5 images (two tiles of about 250 µs) took 960 µs on two threads, slower than on one: the
 * parked worker often woke after the caller had taken both tiles.
 */
final class SampleHelpers {
  /** How long an idle helper spins before it parks. */
  static final long SPIN_NANOS = 200_000;

  private static final Helper[] HELPERS = start(Runtime.getRuntime().availableProcessors() - 1);

  private SampleHelpers() {}

  /** One helper thread and the task it runs. */
  static final class Helper implements Runnable {
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    private Thread thread;

    @Override
    public void run() {
      while (true) {
        long idle = System.nanoTime();
        Runnable next;
        while ((next = task) == null) {
          if (System.nanoTime() - idle < SPIN_NANOS) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        task = null;
        try {
          next.run();
        } catch (Throwable t) {
          failure = t;
        }
        done = true;
      }
    }

    /** Waits until the task has run and frees the helper; returns what the task threw, or null. */
    Throwable await() {
      while (!done) {
        Thread.onSpinWait();
      }
      Throwable t = failure;
      failure = null;
      busy.set(false);
      return t;
    }
  }

  private static Helper[] start(int count) {
    Helper[] helpers = new Helper[Math.max(0, count)];
    for (int i = 0; i < helpers.length; i++) {
      Helper helper = new Helper();
      Thread thread = new Thread(helper, "kiln-sample-helper-" + i);
      thread.setDaemon(true);
      helper.thread = thread;
      helpers[i] = helper;
      thread.start();
    }
    return helpers;
  }

  /** Hands {@code task} to an idle helper and returns it (to {@link Helper#await}), or null where none is idle. */
  static Helper offer(Runnable task) {
    for (Helper helper : HELPERS) {
      if (helper.busy.compareAndSet(false, true)) {
        helper.done = false;
        helper.task = task; // publishes the task (a volatile write)
        LockSupport.unpark(helper.thread);
        return helper;
      }
    }
    return null;
  }
}
