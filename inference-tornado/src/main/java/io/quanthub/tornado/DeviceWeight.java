package io.quanthub.tornado;

import io.quanthub.gguf.GgmlType;
import io.quanthub.inference.compute.Weight;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * A weight's bytes as TornadoVM uploads them, exactly as the GGUF file stores them: F32 as floats, F16 and BF16 as
 * their 16-bit patterns, every quantized type as its raw blocks. The matmul kernels dequantize on the device.
 *
 * @param weight the weight this came from (type, shape, name)
 * @param data   a {@link FloatArray}, {@link ShortArray} or {@link ByteArray} of the stored bytes
 */
public record DeviceWeight(Weight weight, TornadoNativeArray data) {
    /** Copies the weight's stored bytes into a TornadoVM array; fails for a type without a matmul kernel. */
    public static DeviceWeight of(Weight w) {
        GgmlType type = w.type();
        if (!supports(type)) throw new IllegalArgumentException("no TornadoVM matmul kernel for " + w);
        TornadoNativeArray data = switch (type) {
            case F32 -> FloatArray.fromSegment(w.data());
            case F16, BF16 -> ShortArray.fromSegment(w.data());
            default -> ByteArray.fromSegment(w.data());
        };
        return new DeviceWeight(w, data);
    }

    static boolean supports(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16
                || LegacyBlocks.supports(type) || KQuantBlocks.supports(type);
    }

    int rows() {
        return weight.rows();
    }

    int cols() {
        return weight.cols();
    }
}
