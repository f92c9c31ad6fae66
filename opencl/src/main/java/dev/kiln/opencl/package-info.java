/**
 * Generated networks on OpenCL devices, through JOCL: {@link dev.kiln.opencl.OpenCl} lists and
 * opens devices, {@link dev.kiln.opencl.OpenClModel} binds a model to one with the program the
 * annotation processor wrote beside it, and {@link dev.kiln.opencl.OpenClTrainer} trains it there.
 * This module ({@code kiln-opencl}) is the only Kiln module with a native library; a CPU-only user
 * needs only the runtime.
 */
package dev.kiln.opencl;
