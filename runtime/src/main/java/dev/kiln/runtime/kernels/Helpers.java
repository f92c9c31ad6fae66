package dev.kiln.runtime.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Kiln's helper threads, which take part of a caller's work: a share of a large matrix product
 * that {@code predict} waits for ({@link GemmHelpers}), and blocks of a batch's samples ({@code
 * Batches.forEach}, for {@code predictBatch}). Public for that runtime class, not an API of its
 * own.
 *
 * <p>One helper per core beyond the first, started on first use, daemon threads. A task goes to a
 * helper only if it is idle (a compare-and-set), else the caller does the work itself, so any
 * number of callers may run at once, nested ones included, and none waits for another's helper.
 * After a task a helper spins for {@link #SPIN_NANOS} before it parks, so that the next layer or
 * batch finds it awake: unparking a thread costs tens of microseconds here, and a worker that
 * parked at once (the common fork-join pool's) often woke after the caller had done the work.
 */
public final class Helpers {
  /** How long an idle helper spins before it parks. */
  static final long SPIN_NANOS = 200_000;

  /**
   * How long a caller spins waiting for its helper's task before it parks until the helper wakes
   * it. A spinning thread slows the other one: a helper ran four ResNet-18 samples 8% faster
   * (6 rounds of 5 in 6) with the caller parked than with it spinning; short waits (a layer's
   * last product in {@code predict}) still spin, since waking a parked thread costs tens of µs.
   */
  static final long AWAIT_SPIN_NANOS = 1_000_000;

  private static final Helper[] HELPERS = start(Runtime.getRuntime().availableProcessors() - 1);

  private Helpers() {}

  /** One helper thread and the task it runs. */
  public static final class Helper implements Runnable {
    /** Its place among the helpers ({@link Slots}). */
    private final int index;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    /** The caller parked in {@link #awaitKeeping}, to be woken when the task is done; or null. */
    private volatile Thread waiter;
    private Thread thread;

    private Helper(int index) {
      this.index = index;
    }

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
        Thread parked = waiter; // read after done is written: see awaitKeeping
        if (parked != null) {
          LockSupport.unpark(parked);
        }
      }
    }

    /** Starts {@code work} on this claimed helper ({@link #claim}). */
    void start(Runnable work) {
      done = false;
      task = work; // a volatile write: publishes the work and everything written before it
      LockSupport.unpark(thread);
    }

    /** {@link #await}, rethrowing what the task threw ({@link #rethrow}). */
    void join() {
      rethrow(await());
    }

    /** Waits until the task has run and frees the helper; returns what the task threw, or null. */
    public Throwable await() {
      Throwable t = awaitKeeping();
      release();
      return t;
    }

    /**
     * Waits until the task has run, the helper still the caller's (so that it may clear what it
     * shared before another caller claims the helper); returns what the task threw, or null.
     * Then {@link #release}.
     */
    Throwable awaitKeeping() {
      long start = System.nanoTime();
      while (!done) {
        if (System.nanoTime() - start < AWAIT_SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          // Published before done is read again, and the helper reads it after writing done:
          // either this thread sees done, or the helper sees it and unparks it.
          waiter = Thread.currentThread();
          if (!done) {
            LockSupport.park(this);
          }
        }
      }
      waiter = null;
      Throwable t = failure;
      failure = null;
      return t;
    }

    /** Frees the helper after {@link #awaitKeeping}. */
    void release() {
      busy.set(false);
    }
  }

  /** Throws {@code failure} if there is one: unchecked as it was, else wrapped. */
  public static void rethrow(Throwable failure) {
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  private static Helper[] start(int count) {
    Helper[] helpers = new Helper[Math.max(0, count)];
    for (int i = 0; i < helpers.length; i++) {
      Helper helper = new Helper(i);
      Thread thread = new Thread(helper, "kiln-helper-" + i);
      thread.setDaemon(true);
      helper.thread = thread;
      helpers[i] = helper;
      thread.start();
    }
    return helpers;
  }

  /**
   * One object per helper, made up front, which a caller that has claimed the helper fills and
   * hands to it ({@link GemmHelpers}, {@code VectorWinograd}'s shares): nothing is allocated per
   * share, and no two callers fill the same one.
   */
  static final class Slots<T extends Handoff> {
    private final Object[] slots = new Object[HELPERS.length];

    Slots(java.util.function.Supplier<T> make) {
      for (int i = 0; i < slots.length; i++) {
        slots[i] = make.get();
      }
    }

    /**
     * The object of an idle helper, which is now the caller's (until its {@link Helper#await} or
     * {@link Helper#release}) and set as the object's {@link Handoff#helper}; null where none is
     * idle.
     */
    @SuppressWarnings("unchecked")
    T claim() {
      Helper helper = Helpers.claim();
      if (helper == null) {
        return null;
      }
      T handoff = (T) slots[helper.index];
      handoff.helper = helper;
      return handoff;
    }
  }

  /** A task a caller fills and hands to the helper it claimed ({@link Slots#claim}). */
  abstract static class Handoff implements Runnable {
    /** The helper that runs it, the caller's while it waits. */
    Helper helper;
  }

  /** An idle helper, now the caller's until its {@link Helper#await}, or null where none is idle. */
  static Helper claim() {
    for (Helper helper : HELPERS) {
      if (helper.busy.compareAndSet(false, true)) {
        return helper;
      }
    }
    return null;
  }

  /** Runs {@code task} on an idle helper and returns it (to {@link Helper#await}), or null where none is idle. */
  public static Helper offer(Runnable task) {
    Helper helper = claim();
    if (helper != null) {
      helper.start(task);
    }
    return helper;
  }
}
