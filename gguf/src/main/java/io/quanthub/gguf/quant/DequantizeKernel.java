package io.quanthub.gguf.quant;

/**
 * A format's dequantizer without its argument checks, for the entry points that have made them: the {@code byte[]}
 * and the {@code MemorySegment} {@link QuantFormat#dequantize} overloads. Checking once per call, not once per
 * staged chunk, matters for the 256-value slices the matmul asks for.
 */
interface DequantizeKernel {
    /** {@link QuantFormat#dequantize(byte[], int, float[], int, int)} on arguments already checked. */
    void dequantizeUnchecked(byte[] src, int srcOff, float[] dst, int dstOff, int n);
}
