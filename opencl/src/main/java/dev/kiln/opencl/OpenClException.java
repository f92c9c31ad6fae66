package dev.kiln.opencl;

/**
 * OpenCL could not do what was asked: no platform or device, a program that does not build, not
 * enough device memory, or an OpenCL call that failed. The message says what and what to do.
 */
public class OpenClException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OpenClException(String message) {
    super(message);
  }

  public OpenClException(String message, Throwable cause) {
    super(message, cause);
  }
}
