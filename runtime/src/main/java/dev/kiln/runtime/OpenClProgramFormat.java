package dev.kiln.runtime;

/**
 * The version of the {@code //@} directives in the OpenCL programs that the annotation processor
 * writes beside each generated model ({@code //@ kiln-opencl 2}) and that the {@code kiln-opencl}
 * module reads. It lives here, in one place both can see: the processor runs in {@code javac}
 * without OpenCL's native binding, and a constant is compiled into it.
 */
public final class OpenClProgramFormat {
  /** The current version; a program of another version is refused with "recompile the network". */
  public static final int VERSION = 2;

  private OpenClProgramFormat() {}
}
