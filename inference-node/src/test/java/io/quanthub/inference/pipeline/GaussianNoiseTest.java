package io.quanthub.inference.pipeline;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class GaussianNoiseTest {
    /**
     * The first values for two seeds, computed by an independent Python implementation of the generator as
     * {@link GaussianNoise} documents it (SplitMix64, Box-Muller): the documentation is the contract.
     */
    @Test
    void followsTheDocumentedGenerator() {
        assertArrayEquals(new float[] {0.41471976041793823f, 0.6526812314987183f, -0.8918862342834473f,
                1.3268336057662964f, 1.72959303855896f}, GaussianNoise.sample(42, 5));
        assertArrayEquals(new float[] {0.4038981795310974f, -0.24716992676258087f, -1.5578114986419678f},
                GaussianNoise.sample(-1, 3));
    }

    @Test
    void isStandardNormal() {
        float[] x = GaussianNoise.sample(7, 200_000);
        double mean = 0;
        for (float v : x) mean += v;
        mean /= x.length;
        double variance = 0;
        int beyondTwoSigma = 0;
        for (float v : x) {
            variance += (v - mean) * (v - mean);
            if (Math.abs(v) > 2) beyondTwoSigma++;
        }
        variance /= x.length;
        assertEquals(0, mean, 0.01);
        assertEquals(1, variance, 0.01);
        assertEquals(0.0455, (double) beyondTwoSigma / x.length, 0.002);
    }

    @Test
    void seedsGiveDifferentNoise() {
        assertFalse(java.util.Arrays.equals(GaussianNoise.sample(1, 64), GaussianNoise.sample(2, 64)));
    }
}
