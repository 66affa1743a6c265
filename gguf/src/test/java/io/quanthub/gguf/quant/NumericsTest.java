package io.quanthub.gguf.quant;

import io.quanthub.gguf.reference.GgmlLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Numerics}' fp16 and bf16 conversions against ggml's own row converters, bit for bit: every 16-bit pattern
 * for the widening direction, and for narrowing a sample of 2^22 float patterns spread over all of them plus every
 * rounding boundary (each midpoint between neighbouring half/bf16 values and the floats next to it) and the specials.
 */
class NumericsTest {
    private static final FunctionDescriptor ROW = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG);
    private static GgmlLibrary ggml;

    @BeforeAll
    static void loadGgml() {
        ggml = GgmlLibrary.load();
    }

    @Test
    void fp16ToFp32MatchesGgmlOnEveryHalf() {
        float[] expected = widen(ggml.handle("ggml_fp16_to_fp32_row", ROW));
        for (int h = 0; h < 65536; h++) {
            assertSameBits("fp16 0x" + Integer.toHexString(h), expected[h], Numerics.fp16ToFp32((short) h));
        }
    }

    @Test
    void bf16ToFp32MatchesGgmlOnEveryBf16() {
        float[] expected = widen(ggml.handle("ggml_bf16_to_fp32_row", ROW));
        for (int h = 0; h < 65536; h++) {
            assertSameBits("bf16 0x" + Integer.toHexString(h), expected[h], Numerics.bf16ToFp32((short) h));
        }
    }

    @Test
    void fp32ToFp16MatchesGgml() {
        int[] bits = sample(h -> Float.floatToRawIntBits(Numerics.fp16ToFp32((short) h)));
        checkNarrowing(ggml.handle("ggml_fp32_to_fp16_row", ROW), bits, Numerics::fp32ToFp16, "fp16");
    }

    @Test
    void fp32ToBf16MatchesGgml() {
        // ggml_quantize_chunk writes BF16 with the _ref routine (no subnormal flushing).
        int[] bits = sample(h -> h << 16);
        checkNarrowing(ggml.handle("ggml_fp32_to_bf16_row_ref", ROW), bits, Numerics::fp32ToBf16, "bf16");
    }

    interface Narrowing {
        short apply(float f);
    }

    private static void checkNarrowing(MethodHandle row, int[] bits, Narrowing ours, String what) {
        float[] in = new float[bits.length];
        for (int i = 0; i < bits.length; i++) in[i] = Float.intBitsToFloat(bits[i]);
        short[] expected;
        try (Arena arena = Arena.ofConfined()) {
            // The bits go in as ints so that signalling NaN payloads reach ggml unchanged.
            MemorySegment src = arena.allocateFrom(JAVA_INT, bits);
            MemorySegment dst = arena.allocate(JAVA_SHORT, bits.length);
            row.invokeExact(src, dst, (long) bits.length);
            expected = dst.toArray(JAVA_SHORT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        for (int i = 0; i < bits.length; i++) {
            short actual = ours.apply(Float.intBitsToFloat(bits[i]));
            if (actual != expected[i]) {
                fail(what + " of float bits 0x" + Integer.toHexString(bits[i]) + ": ggml 0x"
                        + Integer.toHexString(expected[i] & 0xFFFF) + " ours 0x" + Integer.toHexString(actual & 0xFFFF));
            }
        }
    }

    /** Calls a ggml 16-bit to float row converter on all 65536 patterns. */
    private static float[] widen(MethodHandle row) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(JAVA_SHORT, 65536);
            for (int h = 0; h < 65536; h++) src.setAtIndex(JAVA_SHORT, h, (short) h);
            MemorySegment dst = arena.allocate(JAVA_FLOAT, 65536);
            row.invokeExact(src, dst, 65536L);
            return dst.toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void assertSameBits(String what, float expected, float actual) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(what + ": ggml bits 0x" + Integer.toHexString(Float.floatToRawIntBits(expected)) + " ours 0x"
                    + Integer.toHexString(Float.floatToRawIntBits(actual)));
        }
    }

    /**
     * Float bit patterns to narrow: every 1024th pattern (with varying low bits), and for each of the 65536 16-bit
     * values {@code h} (whose float bits {@code exact} gives) the float itself, its neighbours, the midpoint to
     * {@code h+1} and the midpoint's neighbours, the places where round-to-nearest-even decides.
     */
    private static int[] sample(IntUnaryOperator exact) {
        SplittableRandom r = new SplittableRandom(2024);
        int strided = 1 << 22;
        int[] specials = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
                0xFF800001, 0x7FBFFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x00000001, 0x80000001,
                0x007FFFFF, 0x00800000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0x32FFFFFF, 0x33000000,
                0x33000001, 0x387FFFFF, 0x38800000, 0x38800001, 0x7F7F8000, 0x7F7F7FFF};
        int[] bits = new int[strided + 65536 * 6 + specials.length];
        int n = 0;
        for (int i = 0; i < strided; i++) bits[n++] = (i << 10) | r.nextInt(1024);
        for (int h = 0; h < 65536; h++) {
            int lo = exact.applyAsInt(h);
            int hi = exact.applyAsInt((h + 1) & 0xFFFF);
            bits[n++] = lo;
            bits[n++] = lo + 1;
            bits[n++] = lo - 1;
            // The midpoint between two neighbouring values of the same sign: exact in float (one more bit), and
            // computed in double so that it cannot overflow. Skipped where h+1 changes sign.
            int mid = (h & 0x7FFF) == 0x7FFF ? lo
                    : Float.floatToRawIntBits((float) (((double) Float.intBitsToFloat(lo) + Float.intBitsToFloat(hi)) / 2));
            bits[n++] = mid;
            bits[n++] = mid + 1;
            bits[n++] = mid - 1;
        }
        for (int s : specials) bits[n++] = s;
        return bits;
    }
}
