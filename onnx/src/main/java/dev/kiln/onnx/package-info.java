/**
 * Kiln networks as ONNX models, {@link dev.kiln.onnx.Onnx#export}, and ONNX models as Kiln
 * declarations and weights, {@link dev.kiln.onnx.Onnx#importModel}. ONNX's message classes ({@code
 * dev.kiln.onnx.proto}) are compiled from ONNX's own {@code onnx.proto} with protobuf-java.
 */
package dev.kiln.onnx;
