package dev.kiln.opencl;

import static org.jocl.CL.CL_FALSE;
import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_TRUE;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.DeviceSteps;
import dev.kiln.runtime.optim.Optimizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * A generated model bound to an OpenCL device: its program (the {@code <Name>Model.cl} resource
 * the processor writes beside the class), built once per device, and device buffers for the
 * parameters, their gradients, the optimizer's state and a batch's activations, which stay there
 * across calls. Only batch inputs (and targets and dropout seeds) go to the device; only per-sample
 * loss and correctness, predictions, and on request the weights come back.
 *
 * <p>Binding copies the model's parameters to the device; {@link #download()} copies the device's
 * back into the model (so {@code Checkpoint.save} writes them), {@link #upload()} the other way.
 * Close it to release its buffers and kernels (the program stays with the device). Not
 * thread-safe.
 */
public final class OpenClModel implements AutoCloseable {
  private final OpenClDevice device;
  private final Model model;
  private final Program program;
  private final int capacity;
  private final double buildSeconds;
  private final List<cl_mem> buffers = new ArrayList<>();
  private final Map<String, cl_kernel> kernels = new HashMap<>();
  /** The largest work group each kernel allows on this device. */
  private final Map<String, Long> mostLocal = new HashMap<>();

  /**
   * Each kernel's work group, fixed at its first launch: PoCL compiles a kernel anew for every
   * group size it meets.
   */
  private final Map<String, Long> localSizes = new HashMap<>();
  private final cl_mem x;
  private final cl_mem p;
  private final cl_mem g;
  private final cl_mem ws;
  private final cl_mem t;
  private final cl_mem stats;
  private final cl_mem noise;
  /** BatchNorm moving statistics ({@code model.state()}) and one batch's statistics. */
  private final cl_mem movingState;
  private final cl_mem batchStatistics;
  /** The parts of the parameter gradients that are summed over parts of the batch. */
  private final cl_mem partials;
  /** A training set held on the device ({@link #holdTrainingSet}): its inputs and targets, or null. */
  private cl_mem heldInputs;
  private cl_mem heldTargets;
  private int heldSamples;
  /** A batch's rows of the held set. */
  private cl_mem rows;
  private cl_mem state1;
  private cl_mem state2;
  private Optimizer stateOwner;
  private int boundN = -1;
  private boolean closed;

  private OpenClModel(OpenClDevice device, Model model, Program program, int capacity) {
    this.device = device;
    this.model = model;
    this.program = program;
    this.capacity = capacity;
    checkMemory();
    double seconds = device.build(program.source());
    this.buildSeconds = seconds;
    try {
      x = buffer((long) capacity * program.inputSize());
      p = buffer(program.parameterCount());
      g = buffer(program.parameterCount());
      ws = buffer((long) capacity * program.workspace());
      t = buffer((long) capacity * program.outputSize());
      stats = buffer(2L * capacity);
      noise = buffer(2L * capacity); // ulong: two floats' bytes each
      movingState = buffer(program.state());
      batchStatistics = buffer(program.statistics());
      partials = buffer(program.partials());
      for (String phase : List.of("forward", "loss", "backward", "infer")) {
        for (Program.Launch launch : program.phase(phase)) {
          layerKernel(launch.kernel());
        }
      }
      upload();
      // A layer nothing reads gets no backward kernel: its gradients must read as zero.
      float[] zeros = new float[program.parameterCount()];
      write(g, Pointer.to(zeros), 4L * zeros.length);
    } catch (RuntimeException e) {
      release();
      throw e;
    }
  }

  /** Binds {@code model} to {@code device} for batches of up to {@code batchCapacity} samples. */
  public static OpenClModel bind(OpenClDevice device, Model model, int batchCapacity) {
    return bind(device, model, batchCapacity, source(model));
  }

  /** As {@link #bind(OpenClDevice, Model, int)}, with the program's source given. */
  public static OpenClModel bind(OpenClDevice device, Model model, int batchCapacity, String source) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(model, "model");
    device.checkOpen();
    if (batchCapacity < 1) {
      throw new IllegalArgumentException("batch capacity must be at least 1, got " + batchCapacity);
    }
    Program program = Program.parse(source, model.name() + "'s OpenCL program");
    if (program.unsupported() != null) {
      throw new OpenClException(model.name() + " cannot run on OpenCL: " + program.unsupported());
    }
    if (program.inputSize() != model.inputSize()
        || program.outputSize() != model.outputSize()
        || program.parameterCount() != model.parameterCount()
        || program.state() != model.state().length) {
      throw new OpenClException(
          "the OpenCL program (input " + program.inputSize() + ", output " + program.outputSize()
              + ", " + program.parameterCount() + " parameters) does not match " + model.name()
              + " (input " + model.inputSize() + ", output " + model.outputSize() + ", "
              + model.parameterCount() + " parameters); recompile the network");
    }
    return new OpenClModel(device, model, program, batchCapacity);
  }

  /** The OpenCL C source Kiln generated for {@code model}: the resource {@code <Name>Model.cl}. */
  public static String source(Model model) {
    Class<?> type = model.getClass();
    String resource = type.getSimpleName() + ".cl";
    try (InputStream in = type.getResourceAsStream(resource)) {
      if (in == null) {
        throw new OpenClException(
            "no OpenCL program for " + type.getName() + ": the resource " + resource + " is not"
                + " beside the class; compile the network with a Kiln that writes it (0.1+), and"
                + " keep resources when packaging");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + resource, e);
    }
  }

  public Model model() {
    return model;
  }

  public OpenClDevice device() {
    return device;
  }

  public int batchCapacity() {
    return capacity;
  }

  /** Seconds the program's build took when this model was bound (0 if the device had it built). */
  public double buildSeconds() {
    return buildSeconds;
  }

  /** The loss the program trains with (the model's {@code loss()} name). */
  String loss() {
    return program.loss();
  }

  private void checkMemory() {
    long floats =
        (long) capacity * ((long) program.inputSize() + program.workspace() + program.outputSize() + 4)
            + 4L * program.parameterCount() + program.statistics() + program.partials();
    long bytes = 4 * floats;
    long largest = 4L * capacity * program.workspace();
    DeviceInfo info = device.info();
    if ((long) capacity * program.workspace() > Integer.MAX_VALUE) {
      throw new OpenClException(
          model.name() + " with batch " + capacity + " needs " + (long) capacity * program.workspace()
              + " workspace floats, more than 32-bit indices reach; use a smaller batch");
    }
    if (4L * program.parameterCount() > info.maxAllocation()) {
      throw new OpenClException(
          String.format(
              Locale.ROOT,
              "%s is too large for %s: its %,d parameters need %.1f MiB in one buffer, but the"
                  + " device's largest buffer is %.1f MiB",
              model.name(), info.name(), program.parameterCount(),
              4.0 * program.parameterCount() / 1048576.0, info.maxAllocation() / 1048576.0));
    }
    if (bytes > info.globalMemory() || largest > info.maxAllocation()) {
      throw new OpenClException(
          String.format(
              Locale.ROOT,
              "out of device memory: %s with batch %d needs %.1f MiB on the device (its largest"
                  + " buffer %.1f MiB), but %s has %.1f MiB (largest buffer %.1f MiB); use a"
                  + " smaller batch",
              model.name(), capacity, bytes / 1048576.0, largest / 1048576.0, info.name(),
              info.globalMemory() / 1048576.0, info.maxAllocation() / 1048576.0));
    }
  }

  private cl_mem buffer(long floats) {
    try {
      cl_mem mem =
          Handles.created(
              CL.clCreateBuffer(device.context, CL_MEM_READ_WRITE, 4 * Math.max(1, floats), null, null));
      buffers.add(mem);
      return mem;
    } catch (CLException e) {
      throw failure("allocating " + 4 * floats + " bytes", e);
    }
  }

  private OpenClException failure(String what, CLException e) {
    String message = e.getMessage();
    if (message != null
        && (message.contains("MEM_OBJECT_ALLOCATION_FAILURE")
            || message.contains("OUT_OF_RESOURCES")
            || message.contains("OUT_OF_HOST_MEMORY")
            || message.contains("INVALID_BUFFER_SIZE"))) {
      return new OpenClException(
          "out of device memory on " + device.info().name() + " while " + what + " for "
              + model.name() + " (batch " + capacity + "): " + message + "; use a smaller batch",
          e);
    }
    return new OpenClException("OpenCL failed while " + what + " for " + model.name() + ": " + message, e);
  }

  private cl_kernel kernel(String name) {
    return kernel(name, program.source());
  }

  /** The kernel {@code name} of the program built from {@code source}, created at its first use. */
  private cl_kernel kernel(String name, String source) {
    cl_kernel kernel = kernels.get(name);
    if (kernel == null) {
      try {
        kernel = Handles.created(CL.clCreateKernel(device.program(source).program(), name, null));
      } catch (CLException e) {
        throw failure("creating kernel " + name, e);
      }
      kernels.put(name, kernel);
      long[] size = new long[1];
      CL.clGetKernelWorkGroupInfo(
          kernel, device.info().deviceId(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
      mostLocal.put(name, Math.max(1, Math.min(size[0], device.info().maxWorkGroupSize())));
    }
    return kernel;
  }

  /** A layer kernel with its buffers bound (its {@code n} and {@code scale} are set per batch). */
  private void layerKernel(String name) {
    if (kernels.containsKey(name)) {
      return;
    }
    cl_kernel kernel = kernel(name);
    cl_mem[] args = {x, p, g, ws, t, stats, noise};
    for (int i = 0; i < args.length; i++) {
      CL.clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(args[i]));
    }
    // After n (7) and scale (8): the moving and the batch statistics, and the gradients' parts.
    CL.clSetKernelArg(kernel, 9, Sizeof.cl_mem, Pointer.to(movingState));
    CL.clSetKernelArg(kernel, 10, Sizeof.cl_mem, Pointer.to(batchStatistics));
    CL.clSetKernelArg(kernel, 11, Sizeof.cl_mem, Pointer.to(partials));
  }

  /** Work items per group on a GPU: small groups keep many in flight. */
  static final long GPU_GROUP = 64;

  /**
   * The work group for a kernel that allows groups of {@code most} and runs {@code items} items at
   * the batch capacity: 64 on a GPU; on a CPU device (PoCL), whose cores each run whole groups and
   * pay a dispatch per group, as large as leaves about eight groups per compute unit, between 64
   * and 1,024.
   */
  long localSize(long most, long items) {
    long wanted = GPU_GROUP;
    if (device.info().type().equals("CPU")) {
      long perGroup = items / (8L * Math.max(1, device.info().computeUnits()));
      wanted = Math.max(GPU_GROUP, Math.min(1024, Long.highestOneBit(Math.max(1, perGroup))));
    }
    return Math.max(1, Math.min(wanted, most));
  }

  private void launch(String name, long items, long itemsAtCapacity) {
    long local = localSizes.computeIfAbsent(name, k -> localSize(mostLocal.get(k), itemsAtCapacity));
    long global = (items + local - 1) / local * local;
    long start = PROFILE ? System.nanoTime() : 0;
    try {
      CL.clEnqueueNDRangeKernel(
          device.queue, kernels.get(name), 1, null, new long[] {global}, new long[] {local}, 0, null, null);
      if (PROFILE) {
        CL.clFinish(device.queue);
        profile.merge(name, System.nanoTime() - start, Long::sum);
      }
    } catch (CLException e) {
      throw failure("running " + name, e);
    }
  }

  /** {@code -Dkiln.opencl.profile=true}: time each kernel (waiting for each) and print on close. */
  private static final boolean PROFILE = Boolean.getBoolean("kiln.opencl.profile");

  private final Map<String, Long> profile = new HashMap<>();

  private void printProfile() {
    long total = profile.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf(Locale.ROOT, "OpenCL kernel times for %s (%.2f s in all):%n", model.name(), total / 1e9);
    profile.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> System.out.printf(
            Locale.ROOT, "  %-28s %8.3f s  %5.1f%%%n", e.getKey(), e.getValue() / 1e9, 100.0 * e.getValue() / total));
  }

  private void run(String phase, int n) {
    if (n != boundN) {
      // Every layer kernel takes the batch size and its reciprocal, the gradients' scale.
      for (Map.Entry<String, cl_kernel> e : kernels.entrySet()) {
        if (e.getKey().endsWith("_update") || e.getKey().equals(GATHER_KERNEL)) {
          continue; // the optimizers' and the gather's arguments are their own
        }
        CL.clSetKernelArg(e.getValue(), 7, Sizeof.cl_int, Pointer.to(new int[] {n}));
        CL.clSetKernelArg(e.getValue(), 8, Sizeof.cl_float, Pointer.to(new float[] {1f / n}));
      }
      boundN = n;
    }
    for (Program.Launch launch : program.phase(phase)) {
      launch(
          launch.kernel(), launch.perSample() ? (long) n * launch.count() : launch.count(),
          launch.perSample() ? (long) capacity * launch.count() : launch.count());
    }
  }

  private void write(cl_mem buffer, Pointer from, long bytes) {
    write(buffer, from, bytes, true);
  }

  /** Copies {@code bytes} to {@code buffer}; without {@code wait}, {@code from} must stay as it is until the copy has run. */
  private void write(cl_mem buffer, Pointer from, long bytes, boolean wait) {
    try {
      CL.clEnqueueWriteBuffer(device.queue, buffer, wait ? CL_TRUE : CL_FALSE, 0, bytes, from, 0, null, null);
    } catch (CLException e) {
      throw failure("copying " + bytes + " bytes to the device", e);
    }
  }

  private void read(cl_mem buffer, long offsetBytes, Pointer to, long bytes) {
    try {
      CL.clEnqueueReadBuffer(device.queue, buffer, CL_TRUE, offsetBytes, bytes, to, 0, null, null);
    } catch (CLException e) {
      throw failure("copying " + bytes + " bytes from the device", e);
    }
  }

  /** Copies the model's parameters (and BatchNorm moving statistics) to the device. */
  public void upload() {
    checkOpen();
    float[] parameters = model.parameters();
    write(p, Pointer.to(parameters), 4L * parameters.length);
    float[] state = model.state();
    if (state.length > 0) {
      write(movingState, Pointer.to(state), 4L * state.length);
    }
  }

  /**
   * Copies the device's parameters into the model's ({@code model.parameters()}), and its
   * BatchNorm moving statistics into {@code model.state()}.
   */
  public void download() {
    checkOpen();
    float[] parameters = model.parameters();
    read(p, 0, Pointer.to(parameters), 4L * parameters.length);
    float[] state = model.state();
    if (state.length > 0) {
      read(movingState, 0, Pointer.to(state), 4L * state.length);
    }
  }

  /** A copy of the parameter gradients (the last batch's mean) from the device. */
  public float[] gradients() {
    checkOpen();
    float[] gradients = new float[program.parameterCount()];
    read(g, 0, Pointer.to(gradients), 4L * gradients.length);
    return gradients;
  }

  /** Replaces the device's gradients, e.g. with ones computed elsewhere, for {@link #step}. */
  public void uploadGradients(float[] gradients) {
    checkOpen();
    if (gradients.length != program.parameterCount()) {
      throw new IllegalArgumentException(
          "uploadGradients: " + gradients.length + " floats, " + model.name() + " has "
              + program.parameterCount() + " parameters");
    }
    write(g, Pointer.to(gradients), 4L * gradients.length);
  }

  /**
   * Runs {@code inputs.length / inputSize} samples at inference (dropout off) and writes their
   * outputs one after another into {@code outputs}, in batches of the capacity: for each, {@link
   * #uploadInputs}, {@link #infer} and {@link #downloadOutputs}.
   */
  public void predictBatch(float[] inputs, float[] outputs) {
    checkOpen();
    int in = program.inputSize();
    int out = program.outputSize();
    if (inputs.length % in != 0 || outputs.length != inputs.length / in * out) {
      throw new IllegalArgumentException(
          "predictBatch: " + inputs.length + " input floats and " + outputs.length + " output floats"
              + " do not hold whole samples of " + in + " and " + out + " floats for the same count");
    }
    int count = inputs.length / in;
    for (int done = 0; done < count; done += capacity) {
      int n = Math.min(capacity, count - done);
      writeInputs(inputs, done, n);
      run("infer", n);
      readOutputs(outputs, done, n);
    }
  }

  /**
   * The first step of {@link #predictBatch}, on its own: copies {@code inputs.length / inputSize}
   * samples, at most the capacity, to the device's input buffer, where they stay for {@link
   * #infer} until the next upload or training batch. Returns how many samples that is.
   */
  public int uploadInputs(float[] inputs) {
    checkOpen();
    int n = wholeSamples("uploadInputs", inputs.length, program.inputSize());
    writeInputs(inputs, 0, n);
    return n;
  }

  /**
   * The kernels of {@link #predictBatch} alone: runs the inference launches on the first {@code n}
   * samples already on the device ({@link #uploadInputs}) and leaves their outputs there ({@link
   * #downloadOutputs}); returns when the device has finished. With inputs uploaded once, timing
   * this call gives the rate of the kernels without the host-device copies (launch overhead
   * included, as a caller sees it).
   */
  public void infer(int n) {
    checkOpen();
    if (n < 1 || n > capacity) {
      throw new IllegalArgumentException("infer: " + n + " samples, capacity " + capacity);
    }
    run("infer", n);
    try {
      CL.clFinish(device.queue);
    } catch (CLException e) {
      throw failure("running the inference kernels", e);
    }
  }

  /**
   * The last step of {@link #predictBatch}: copies the outputs of the first {@code
   * outputs.length / outputSize} samples of the last {@link #infer} into {@code outputs}.
   */
  public void downloadOutputs(float[] outputs) {
    checkOpen();
    readOutputs(outputs, 0, wholeSamples("downloadOutputs", outputs.length, program.outputSize()));
  }

  /** How many samples of {@code size} floats {@code length} holds: 1 to the capacity, whole. */
  private int wholeSamples(String what, int length, int size) {
    int n = length / size;
    if (length % size != 0 || n < 1 || n > capacity) {
      throw new IllegalArgumentException(
          what + ": " + length + " floats are not 1 to " + capacity + " whole samples of " + size);
    }
    return n;
  }

  /** Samples {@code first} to {@code first + n} of {@code inputs} to the device's first {@code n}. */
  private void writeInputs(float[] inputs, int first, int n) {
    int in = program.inputSize();
    write(x, Pointer.to(inputs).withByteOffset(4L * first * in), 4L * n * in);
  }

  /** The outputs of the device's first {@code n} samples to samples {@code first} on of {@code outputs}. */
  private void readOutputs(float[] outputs, int first, int n) {
    int out = program.outputSize();
    try {
      // Each sample's outputs sit at output_at in its workspace: one strided copy for the batch.
      CL.clEnqueueReadBufferRect(
          device.queue, ws, CL_TRUE,
          new long[] {4L * program.outputAt(), 0, 0}, new long[] {0, 0, 0}, new long[] {4L * out, n, 1},
          4L * program.workspace(), 0, 4L * out, 0,
          Pointer.to(outputs).withByteOffset(4L * first * out), 0, null, null);
    } catch (CLException e) {
      throw failure("copying predictions from the device", e);
    }
  }

  /**
   * Copies a training set to the device, where it stays until {@link #releaseTrainingSet} or
   * {@link #close}: {@code inputs} and {@code targets} hold the same number of whole samples.
   * Batches then send only which samples they take ({@link #enqueueHeldBatch}), and a kernel
   * gathers them on the device. Replaces a set held before.
   *
   * @throws OpenClException if the set does not fit in one of the device's buffers
   */
  public void holdTrainingSet(float[] inputs, float[] targets) {
    checkOpen();
    int in = program.inputSize();
    int out = program.outputSize();
    int samples = inputs.length / in;
    if (inputs.length % in != 0 || targets.length != (long) samples * out || samples < 1) {
      throw new IllegalArgumentException(
          "holdTrainingSet: " + inputs.length + " input floats and " + targets.length + " target floats"
              + " are not the same number of whole samples of " + in + " and " + out);
    }
    if (4L * inputs.length > device.info().maxAllocation()) {
      throw new OpenClException(
          String.format(
              Locale.ROOT,
              "the training set's %,d samples need %.1f MiB in one buffer, more than %s's largest"
                  + " (%.1f MiB); train with the set on the host",
              samples, 4.0 * inputs.length / 1048576.0, device.info().name(),
              device.info().maxAllocation() / 1048576.0));
    }
    releaseTrainingSet();
    heldInputs = buffer(inputs.length);
    heldTargets = buffer(targets.length);
    heldSamples = samples;
    if (rows == null) {
      rows = buffer(capacity);
    }
    write(heldInputs, Pointer.to(inputs), 4L * inputs.length);
    write(heldTargets, Pointer.to(targets), 4L * targets.length);
  }

  /** Bytes {@link #holdTrainingSet} takes on the device for {@code samples} samples. */
  public long trainingSetBytes(int samples) {
    return 4L * samples * (program.inputSize() + program.outputSize());
  }

  /**
   * Whether a training set of {@code samples} samples is held on the device by default: when it
   * takes at most a quarter of the device's memory and fits in one buffer.
   */
  public boolean trainingSetFits(int samples) {
    DeviceInfo info = device.info();
    return trainingSetBytes(samples) <= info.globalMemory() / 4
        && 4L * samples * program.inputSize() <= info.maxAllocation();
  }

  /** Frees the training set held on the device, if any. */
  public void releaseTrainingSet() {
    checkOpen();
    for (cl_mem held : new cl_mem[] {heldInputs, heldTargets}) {
      if (held != null) {
        buffers.remove(held);
        CL.clReleaseMemObject(held);
        Handles.released();
      }
    }
    heldInputs = null;
    heldTargets = null;
    heldSamples = 0;
  }

  /** Samples of the training set held on the device (0 when none is). */
  public int heldSamples() {
    return heldSamples;
  }

  /** The device's gather of a batch's rows of a held set: a program of its own. */
  private static final String GATHER_KERNEL = "kiln_gather";

  private static final String GATHER =
      "// Kiln: copies rows of a data set held on the device into a batch buffer.\n"
          + "__kernel void kiln_gather(__global const float* set, __global const int* rows,"
          + " __global float* out, const int width, const int count) {\n"
          + "  const int i = get_global_id(0);\n"
          + "  if (i >= count * width) return;\n"
          + "  const int r = i / width;\n"
          + "  out[i] = set[(size_t)rows[r] * width + (i - r * width)];\n"
          + "}\n";

  private void gather(cl_mem set, cl_mem into, int width, int n) {
    cl_kernel kernel = kernel(GATHER_KERNEL, GATHER);
    CL.clSetKernelArg(kernel, 0, Sizeof.cl_mem, Pointer.to(set));
    CL.clSetKernelArg(kernel, 1, Sizeof.cl_mem, Pointer.to(rows));
    CL.clSetKernelArg(kernel, 2, Sizeof.cl_mem, Pointer.to(into));
    CL.clSetKernelArg(kernel, 3, Sizeof.cl_int, Pointer.to(new int[] {width}));
    CL.clSetKernelArg(kernel, 4, Sizeof.cl_int, Pointer.to(new int[] {n}));
    launch(GATHER_KERNEL, (long) n * width, (long) capacity * program.inputSize());
  }

  /**
   * Enqueues one training batch of the held set's samples {@code rows[0 .. n)} (ints) with their
   * dropout seeds ({@code noise}, longs), and returns at once: the buffers are direct and must
   * stay as they are until {@link #enqueueStatsRead}'s event completes.
   */
  void enqueueHeldBatch(ByteBuffer rowsOfSet, ByteBuffer noiseSeeds, int n) {
    checkOpen();
    if (heldInputs == null) {
      throw new IllegalStateException(model.name() + " holds no training set on the device");
    }
    checkBatch(n);
    enqueueWrite(rows, rowsOfSet, 4L * n);
    enqueueWrite(noise, noiseSeeds, 8L * n);
    gather(heldInputs, x, program.inputSize(), n);
    gather(heldTargets, t, program.outputSize(), n);
    runTraining(n);
  }

  /** As {@link #enqueueHeldBatch}, with the batch's inputs and targets (floats) sent from the host. */
  void enqueueBatch(ByteBuffer inputs, ByteBuffer targets, ByteBuffer noiseSeeds, int n) {
    checkOpen();
    checkBatch(n);
    enqueueWrite(x, inputs, 4L * n * program.inputSize());
    enqueueWrite(t, targets, 4L * n * program.outputSize());
    enqueueWrite(noise, noiseSeeds, 8L * n);
    runTraining(n);
  }

  /**
   * Enqueues the copy of the last batch's {@code n} losses and correctness into {@code into}
   * (direct, {@code 2n} floats) and returns its event, which the caller waits for and releases
   * ({@link #await}).
   */
  cl_event enqueueStatsRead(ByteBuffer into, int n) {
    cl_event event = new cl_event();
    try {
      CL.clEnqueueReadBuffer(device.queue, stats, CL_FALSE, 0, 8L * n, Pointer.to(into), 0, null, event);
    } catch (CLException e) {
      throw failure("copying the batch's losses from the device", e);
    }
    Handles.created(event);
    return event;
  }

  /** Waits for {@code event} and releases it. */
  void await(cl_event event) {
    try {
      CL.clWaitForEvents(1, new cl_event[] {event});
    } catch (CLException e) {
      throw failure("waiting for a training batch", e);
    } finally {
      CL.clReleaseEvent(event);
      Handles.released();
    }
  }

  /** Waits until the device has run everything enqueued. */
  void finish() {
    try {
      CL.clFinish(device.queue);
    } catch (CLException e) {
      throw failure("finishing the enqueued work", e);
    }
  }

  private void enqueueWrite(cl_mem buffer, ByteBuffer from, long bytes) {
    write(buffer, Pointer.to(from), bytes, false);
  }

  private void checkBatch(int n) {
    if (n < 1 || n > capacity) {
      throw new IllegalArgumentException("batch of " + n + " samples, capacity " + capacity);
    }
  }

  private void runTraining(int n) {
    run("forward", n);
    run("loss", n);
    run("backward", n);
  }

  /**
   * One batch of training on the device: forward in training mode, the loss, backward; the
   * batch's mean parameter gradient stays on the device for {@link #step}.
   *
   * @param inputs {@code n} samples one after another
   * @param targets {@code n} target vectors
   * @param noise each sample's dropout seed
   * @param stats receives each sample's loss at {@code 2i} and 1 or 0 at {@code 2i + 1} for
   *     whether its highest output is its target's highest
   */
  public void trainBatch(float[] inputs, float[] targets, long[] noise, int n, float[] stats) {
    checkOpen();
    checkBatch(n);
    // JOCL copies raw bytes: an array shorter than the copy would be read or written past its end.
    requireLength("inputs", inputs.length, (long) n * program.inputSize());
    requireLength("targets", targets.length, (long) n * program.outputSize());
    requireLength("noise", noise.length, n);
    requireLength("stats", stats.length, 2L * n);
    write(x, Pointer.to(inputs), 4L * n * program.inputSize());
    write(t, Pointer.to(targets), 4L * n * program.outputSize());
    write(this.noise, Pointer.to(noise), 8L * n);
    runTraining(n);
    read(this.stats, 0, Pointer.to(stats), 8L * n);
  }

  /** One optimizer step on the device, from the gradients of the last {@link #trainBatch}. */
  public void step(Optimizer optimizer) {
    checkOpen();
    if (optimizer != stateOwner) {
      // A new optimizer starts from zero state, as on the CPU.
      if (state1 == null) {
        state1 = buffer(program.parameterCount());
        state2 = buffer(program.parameterCount());
      }
      float[] zeros = new float[program.parameterCount()];
      write(state1, Pointer.to(zeros), 4L * zeros.length);
      write(state2, Pointer.to(zeros), 4L * zeros.length);
      stateOwner = optimizer;
    }
    DeviceSteps.step(optimizer, program.parameterCount(), this::update);
  }

  private void update(String rule, int from, int to, float lr, float decay, float[] constants) {
    if (to <= from) {
      return;
    }
    String name =
        switch (rule) {
          case "Sgd" -> "sgd_update";
          case "Momentum" -> "momentum_update";
          case "RmsProp" -> "rmsprop_update";
          case "Adam" -> "adam_update";
          default -> throw new IllegalArgumentException("no device kernel for optimizer " + rule);
        };
    cl_kernel kernel = kernel(name);
    int arg = 0;
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_mem, Pointer.to(p));
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_mem, Pointer.to(g));
    if (!rule.equals("Sgd")) {
      CL.clSetKernelArg(kernel, arg++, Sizeof.cl_mem, Pointer.to(state1));
    }
    if (rule.equals("Adam")) {
      CL.clSetKernelArg(kernel, arg++, Sizeof.cl_mem, Pointer.to(state2));
    }
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_int, Pointer.to(new int[] {from}));
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_int, Pointer.to(new int[] {to - from}));
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_float, Pointer.to(new float[] {lr}));
    CL.clSetKernelArg(kernel, arg++, Sizeof.cl_float, Pointer.to(new float[] {decay}));
    for (float c : constants) {
      CL.clSetKernelArg(kernel, arg++, Sizeof.cl_float, Pointer.to(new float[] {c}));
    }
    launch(name, to - from, program.parameterCount());
  }

  private static void requireLength(String what, int length, long needed) {
    if (length < needed) {
      throw new IllegalArgumentException(
          "trainBatch: " + what + " holds " + length + " values, the batch needs " + needed);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(model.name() + " on " + device.info().name() + " is closed");
    }
    device.checkOpen();
  }

  /** Releases every kernel and buffer, even when one release fails; then rethrows the first. */
  private void release() {
    RuntimeException first = null;
    for (cl_kernel kernel : kernels.values()) {
      try {
        CL.clReleaseKernel(kernel);
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
      Handles.released();
    }
    kernels.clear();
    for (cl_mem buffer : buffers) {
      try {
        CL.clReleaseMemObject(buffer);
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
      Handles.released();
    }
    buffers.clear();
    if (first != null) {
      throw first;
    }
  }

  /** Releases the buffers and kernels; the model keeps the weights it last downloaded. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (PROFILE && !profile.isEmpty()) {
        printProfile();
      }
      release();
    }
  }
}
