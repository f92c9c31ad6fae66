package dev.kiln.onnx;

import java.io.IOException;

/**
 * An ONNX model Kiln cannot import, said in one message: a file that is not an ONNX model or is
 * truncated, an opset outside the supported range, an input or output Kiln cannot express, or a
 * node (named, with its operator and its position in the graph) whose operator or attributes
 * Kiln does not support, with what is supported. Nothing is written when it is thrown.
 */
public final class OnnxImportException extends IOException {
  private static final long serialVersionUID = 1L;

  public OnnxImportException(String message) {
    super(message);
  }
}
