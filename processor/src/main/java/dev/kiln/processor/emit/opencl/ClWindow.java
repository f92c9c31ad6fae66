package dev.kiln.processor.emit.opencl;

import dev.kiln.processor.model.TensorShape;
import dev.kiln.processor.model.Window;

/** OpenCL C shared by the windowed layers (convolution, pooling). */
final class ClWindow {
  private ClWindow() {}

  /**
   * The loops of an input-gradient kernel over every output position {@code (oy, ox)} whose window
   * holds input cell {@code (iy, ix)}, through tap {@code (ky, kx)}: {@code body} (indented six
   * spaces) runs once per such position. Gathering this way needs no atomics.
   */
  static String overCoveringOutputs(Window w, TensorShape out, String body) {
    String strideRows = w.strideHeight() > 1 ? " || ty % " + w.strideHeight() + " != 0" : "";
    String strideCols = w.strideWidth() > 1 ? " || tx % " + w.strideWidth() + " != 0" : "";
    return "  for (int ky = 0; ky < " + w.kernelHeight() + "; ky++) {\n"
        + "    const int ty = iy + " + w.padTop() + " - ky;\n"
        + "    if (ty < 0" + strideRows + ") continue;\n"
        + "    const int oy = ty / " + w.strideHeight() + ";\n"
        + "    if (oy >= " + out.height() + ") continue;\n"
        + "    for (int kx = 0; kx < " + w.kernelWidth() + "; kx++) {\n"
        + "      const int tx = ix + " + w.padLeft() + " - kx;\n"
        + "      if (tx < 0" + strideCols + ") continue;\n"
        + "      const int ox = tx / " + w.strideWidth() + ";\n"
        + "      if (ox >= " + out.width() + ") continue;\n"
        + body
        + "    }\n"
        + "  }\n";
  }

  /**
   * {@code oFrom} and {@code oTo}: the outputs {@code o} for which {@code o * stride - pad + k}
   * lies in {@code [0, size)}.
   */
  static String clip(String o, String k, int pad, int stride, int size, int outputs) {
    return "  const int " + o + "Lo = " + pad + " - " + k + ";\n"
        + "  const int " + o + "From = " + o + "Lo > 0 ? (" + o + "Lo + " + (stride - 1) + ") / " + stride + " : 0;\n"
        + "  const int " + o + "Hi = " + (size - 1 + pad) + " - " + k + ";\n"
        + "  const int " + o + "To = " + o + "Hi < 0 ? 0 : min(" + outputs + ", " + o + "Hi / " + stride + " + 1);\n";
  }
}
