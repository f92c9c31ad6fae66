package dev.kiln.processor.emit.opencl;

/**
 * The optimizer updates of {@code dev.kiln.runtime.optim} over a range {@code [from, from +
 * count)} of the flat parameter buffer, one work item per parameter, with the same arithmetic in
 * the same order as the Java loops. The host passes the rate of the step after the schedule, the
 * L2 decay of the range (0 outside {@code decayOnly} ranges) and each rule's constants (Adam's
 * bias corrections among them), computed as the Java optimizers compute them.
 */
final class ClOptimizers {
  private ClOptimizers() {}

  static String emit(int parameters) {
    String head = "  const int k = get_global_id(0);\n  if (k >= count) return;\n  const int i = from + k;\n"
        + "  const float gi = g[i] + decay * p[i];\n";
    return "// Optimizer updates over p[from .. from + count) of the " + parameters + " parameters.\n"
        + "__kernel void sgd_update(__global float* p, __global const float* g, const int from,"
        + " const int count, const float lr, const float decay) {\n"
        + head
        + "  p[i] -= lr * gi;\n"
        + "}\n\n"
        + "__kernel void momentum_update(__global float* p, __global const float* g, __global float* v,"
        + " const int from, const int count, const float lr, const float decay, const float mu,"
        + " const float nesterov) {\n"
        + head
        + "  const float vi = mu * v[i] + gi;\n"
        + "  v[i] = vi;\n"
        + "  p[i] -= nesterov != 0.0f ? lr * (gi + mu * vi) : lr * vi;\n"
        + "}\n\n"
        + "__kernel void rmsprop_update(__global float* p, __global const float* g, __global float* s,"
        + " const int from, const int count, const float lr, const float decay, const float keep,"
        + " const float add, const float eps) {\n"
        + head
        + "  const float si = keep * s[i] + add * gi * gi;\n"
        + "  s[i] = si;\n"
        + "  p[i] -= lr * gi / (sqrt(si) + eps);\n"
        + "}\n\n"
        + "__kernel void adam_update(__global float* p, __global const float* g, __global float* m,"
        + " __global float* v, const int from, const int count, const float lr, const float decay,"
        + " const float keep1, const float add1, const float keep2, const float add2,"
        + " const float correct1, const float correct2, const float eps) {\n"
        + head
        + "  const float mi = keep1 * m[i] + add1 * gi;\n"
        + "  const float vi = keep2 * v[i] + add2 * gi * gi;\n"
        + "  m[i] = mi;\n"
        + "  v[i] = vi;\n"
        + "  p[i] -= lr * (mi * correct1) / (sqrt(vi * correct2) + eps);\n"
        + "}\n";
  }
}
