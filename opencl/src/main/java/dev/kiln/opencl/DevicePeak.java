package dev.kiln.opencl;

import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import java.util.Locale;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * A device's measured FP32 peak: a generated kernel in which every work item runs {@link #CHAINS}
 * independent chains of {@code fma} on {@code float8} vectors (no memory traffic inside the loop),
 * with enough work items to fill every compute unit. The launches are timed from enqueue to
 * finish; the best launch gives the rate, 2 FLOP per lane of every {@code fma}. What the
 * generated networks reach is then a share of a number this device really does, not of a data
 * sheet's.
 *
 * @param gflops the best launch's GFLOP/s
 * @param workItems work items per launch
 * @param iterations loop iterations per work item (each {@link #CHAINS} vector FMAs)
 * @param launches timed launches, of which the best counts
 */
public record DevicePeak(double gflops, long workItems, int iterations, int launches) {
  /** Independent chains per work item: enough to hide the FMA latency on CPUs and GPUs alike. */
  static final int CHAINS = 8;

  /** Lanes of each chain's vector. */
  static final int WIDTH = 8;

  /** Work items per compute unit: a GPU's multiprocessor holds up to 2,048 threads at once. */
  static final int ITEMS_PER_UNIT = 2048;

  /** Roughly how long one timed launch should take: long against launch overhead, short for watchdogs. */
  static final double LAUNCH_SECONDS = 0.1;

  /** Measures for about 0.4 s after calibrating. */
  public static DevicePeak measure(OpenClDevice device) {
    return measure(device, 0.4);
  }

  /** Measures with timed launches for about {@code seconds} (at least three launches). */
  public static DevicePeak measure(OpenClDevice device, double seconds) {
    device.checkOpen();
    DeviceInfo info = device.info();
    cl_kernel kernel = null;
    cl_mem out = null;
    try {
      kernel = Handles.created(CL.clCreateKernel(device.program(source()).program(), "fma_chains", null));
      long local = Math.min(256, Math.min(info.maxWorkGroupSize(), kernelWorkGroupSize(kernel, info)));
      long items = Math.max(1, info.computeUnits()) * (long) ITEMS_PER_UNIT;
      items = (items + local - 1) / local * local;
      out = Handles.created(CL.clCreateBuffer(device.context, CL_MEM_WRITE_ONLY, 4 * items, null, null));
      CL.clSetKernelArg(kernel, 0, Sizeof.cl_mem, Pointer.to(out));
      // Kernel arguments, not literals, so that the compiler cannot fold the chains away.
      CL.clSetKernelArg(kernel, 1, Sizeof.cl_float, Pointer.to(new float[] {0.999999f}));
      CL.clSetKernelArg(kernel, 2, Sizeof.cl_float, Pointer.to(new float[] {1e-6f}));

      // The first launch may compile the kernel (PoCL does): untimed. Then double the loop until
      // a launch takes a measurable time, and size it to LAUNCH_SECONDS.
      int iterations = 64;
      time(device, kernel, items, local, iterations);
      double launch = time(device, kernel, items, local, iterations);
      while (launch < LAUNCH_SECONDS / 4 && iterations < (1 << 24)) {
        iterations *= 2;
        launch = time(device, kernel, items, local, iterations);
      }
      iterations = (int) Math.max(1, Math.min(1 << 26, iterations * LAUNCH_SECONDS / launch));
      double best = Double.MAX_VALUE;
      int launches = 0;
      long start = System.nanoTime();
      while (launches < 3 || System.nanoTime() - start < seconds * 1e9) {
        best = Math.min(best, time(device, kernel, items, local, iterations));
        launches++;
      }
      double flops = (double) items * iterations * CHAINS * WIDTH * 2;
      return new DevicePeak(flops / best / 1e9, items, iterations, launches);
    } catch (CLException e) {
      throw new OpenClException("measuring the FP32 peak of " + info + " failed: " + e.getMessage(), e);
    } finally {
      if (kernel != null) {
        CL.clReleaseKernel(kernel);
        Handles.released();
      }
      if (out != null) {
        CL.clReleaseMemObject(out);
        Handles.released();
      }
    }
  }

  private static long kernelWorkGroupSize(cl_kernel kernel, DeviceInfo info) {
    long[] size = new long[1];
    CL.clGetKernelWorkGroupInfo(kernel, info.deviceId(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
    return Math.max(1, size[0]);
  }

  /** Seconds of one launch of {@code iterations}, from enqueue until the device has finished. */
  private static double time(OpenClDevice device, cl_kernel kernel, long items, long local, int iterations) {
    CL.clSetKernelArg(kernel, 3, Sizeof.cl_int, Pointer.to(new int[] {iterations}));
    long start = System.nanoTime();
    CL.clEnqueueNDRangeKernel(device.queue, kernel, 1, null, new long[] {items}, new long[] {local}, 0, null, null);
    CL.clFinish(device.queue);
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * The kernel: {@link #CHAINS} {@code float8} chains {@code c = fma(c, a, b)} per work item, each
   * seeded from the item's id, summed into one float at the end so that none is dead code.
   */
  static String source() {
    String vector = "float" + WIDTH;
    StringBuilder s = new StringBuilder();
    s.append("// Kiln's FP32 peak probe: ").append(CHAINS).append(" independent ").append(vector)
        .append(" FMA chains per work item.\n");
    s.append("__kernel void fma_chains(__global float* out, const float a, const float b, const int iterations) {\n");
    s.append("  const ").append(vector).append(" va = (").append(vector).append(")(a);\n");
    s.append("  const ").append(vector).append(" vb = (").append(vector).append(")(b);\n");
    s.append("  const float seed = (float)get_global_id(0) * 1e-9f;\n");
    for (int c = 0; c < CHAINS; c++) {
      s.append("  ").append(vector).append(" c").append(c).append(" = (").append(vector)
          .append(")(seed + ").append(c).append(".0f);\n");
    }
    s.append("  for (int i = 0; i < iterations; i++) {\n");
    for (int c = 0; c < CHAINS; c++) {
      s.append("    c").append(c).append(" = fma(c").append(c).append(", va, vb);\n");
    }
    s.append("  }\n");
    s.append("  ").append(vector).append(" sum = c0");
    for (int c = 1; c < CHAINS; c++) {
      s.append(" + c").append(c);
    }
    s.append(";\n");
    s.append("  out[get_global_id(0)] = sum.s0");
    for (int lane = 1; lane < WIDTH; lane++) {
      s.append(" + sum.s").append(Integer.toHexString(lane));
    }
    s.append(";\n");
    s.append("}\n");
    return s.toString();
  }

  /** E.g. {@code 9,870.1 GFLOP/s (8 float8 FMA chains x 270,336 work items x 4,096 iterations, best of 5 launches)}. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%,.1f GFLOP/s (%d float%d FMA chains x %,d work items x %,d iterations, best of %d launches)",
        gflops, CHAINS, WIDTH, workItems, iterations, launches);
  }
}
