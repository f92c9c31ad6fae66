package dev.kiln.opencl;


/**
 * Started by {@link SignalChainingTest} in its own JVM: lists the OpenCL devices (where PoCL takes
 * the signals), then waits long enough for {@code -Xcheck:jni}'s periodic check of the handlers.
 */
public final class SignalProbe {
  private SignalProbe() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("probe listed " + OpenCl.devices().size() + " device(s)");
    Thread.sleep(500);
  }
}
