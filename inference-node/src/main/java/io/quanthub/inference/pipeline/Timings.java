package io.quanthub.inference.pipeline;

/**
 * Wall times of one generation.
 *
 * @param stepMillis   per sampler step (one transformer call each)
 * @param decodeMillis the VAE decode
 */
public record Timings(long[] stepMillis, long decodeMillis) {
    public Timings {
        stepMillis = stepMillis.clone();
    }

    @Override
    public long[] stepMillis() {
        return stepMillis.clone();
    }

    public long totalMillis() {
        long total = decodeMillis;
        for (long ms : stepMillis) total += ms;
        return total;
    }
}
