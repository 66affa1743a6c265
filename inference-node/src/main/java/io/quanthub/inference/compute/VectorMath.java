package io.quanthub.inference.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp}, SiLU and tanh-GELU built only from operations whose result the Java spec fixes to the bit: float add,
 * multiply, divide, fused multiply-add, compares and integer bit moves, lane by lane. {@link Math#exp} and
 * {@code VectorOperators.EXP} may differ between the interpreter, C1, C2 and CPUs (an intrinsic stub or SVML in one,
 * a Java fallback in the other), and a preview must come out the same on every node; these cannot. Each lane sees the
 * same operations whatever the vector width, so the vector and scalar forms agree to the bit too.
 *
 * <p>exp is Cephes' {@code expf}: {@code x = n ln2 + r} with |r| <= ln2/2, a degree-7 polynomial for {@code e^r}
 * (within 2 ulp of the true value), and {@code 2^n} added to the exponent bits. Arguments below {@link #EXP_LOW} give
 * 0 (e^-86 is below every float a softmax or sigmoid can still add to 1) and above {@link #EXP_HIGH} are clamped.
 */
final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final float EXP_LOW = -86f;
    static final float EXP_HIGH = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two so that {@code n * LN2_HI} is exact for |n| < 2^9. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer (ties to even). */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;
    /** sqrt(2 / pi), and 2 sqrt(2 / pi): tanh-GELU is {@code v * sigmoid(2 sqrt(2/pi) (v + 0.044715 v^3))}. */
    private static final float GELU_A = (float) (2 * Math.sqrt(2 / Math.PI));
    private static final float GELU_B = 0.044715f;

    private VectorMath() {
    }

    static float exp(float x) {
        if (x < EXP_LOW) return 0f;
        x = Math.min(x, EXP_HIGH);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int shift = (Float.floatToRawIntBits(t) - ROUNDER_BITS) << 23;
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + shift);
    }

    /** {@link #exp(float)} lane by lane. */
    static FloatVector exp(FloatVector x) {
        var tiny = x.compare(VectorOperators.LT, EXP_LOW);
        x = x.min(EXP_HIGH);
        FloatVector t = x.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector shift = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = ((IntVector) p.reinterpretAsInts()).add(shift).reinterpretAsFloats();
        return e.blend(0f, tiny);
    }

    /** {@code x / (1 + exp(-x))}. */
    static float silu(float x) {
        return x / (1f + exp(-x));
    }

    static FloatVector silu(FloatVector x) {
        return x.div(exp(x.neg()).add(1f));
    }

    /**
     * GELU with the tanh approximation, {@code 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))}, written as
     * {@code v / (1 + exp(-2 sqrt(2/pi) (v + 0.044715 v^3)))} (the same function, without tanh's cancellation).
     */
    static float gelu(float v) {
        float u = (v * v * v * GELU_B + v) * GELU_A; // the vector form's order, operation for operation
        return v / (1f + exp(-u));
    }

    static FloatVector gelu(FloatVector v) {
        FloatVector u = v.mul(v).mul(v).mul(GELU_B).add(v).mul(GELU_A);
        return v.div(exp(u.neg()).add(1f));
    }

    /** {@code x[from .. to)} through {@code scalar} / {@code vector}: the vector form up to the last full vector. */
    static void apply(float[] x, int from, int to, boolean gelu) {
        int i = from;
        for (int upper = from + F.loopBound(to - from); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            (gelu ? gelu(v) : silu(v)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = gelu ? gelu(x[i]) : silu(x[i]);
    }
}
