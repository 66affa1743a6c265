package io.quanthub.hub;

import java.time.Duration;

/**
 * What one caller may ask of the renderer, so that nobody occupies the cluster's inference nodes: an anonymous caller
 * gets small, cheap previews of a few fixed seeds (each distinct preview is rendered once and then served to
 * everyone, so a fixed set keeps them cached); anything larger needs a token. Every caller (a token by its name, an
 * anonymous caller by its address) has at most {@code jobsPerCaller} preview jobs queued or running at once, the queue
 * holds at most {@code maxQueued}, and a node gives up on a job after {@code timeBudget}.
 *
 * @param anonymousMaxSide  largest width and height an anonymous caller may ask for
 * @param anonymousMaxSteps most sampler steps an anonymous caller may ask for
 * @param anonymousSeeds    an anonymous caller's seed must be in {@code 0..anonymousSeeds-1}
 * @param jobsPerCaller     unfinished (queued or running) preview jobs one caller may have; a compared preview is
 *                          two jobs (the quant's and its reference) unless the reference exists
 * @param maxQueued         queued preview jobs of all callers together; more are refused until some start
 * @param timeBudget        how long a node may spend on one job (fetching the model included) before it fails it
 */
public record PreviewLimits(int anonymousMaxSide, int anonymousMaxSteps, int anonymousSeeds, int jobsPerCaller,
                            int maxQueued, Duration timeBudget) {
    public static final PreviewLimits DEFAULTS = new PreviewLimits(512, 8, 4, 4, 64, Duration.ofMinutes(10));

    public PreviewLimits {
        if (anonymousMaxSide < 0 || anonymousMaxSteps < 0 || anonymousSeeds < 0) {
            throw new IllegalArgumentException("anonymous preview limits must be 0 or more (0: no anonymous previews)");
        }
        if (jobsPerCaller < 1 || maxQueued < 1) throw new IllegalArgumentException("preview quotas must be at least 1");
        if (timeBudget == null || timeBudget.isNegative() || timeBudget.isZero()) {
            throw new IllegalArgumentException("the preview time budget must be positive");
        }
    }

    public PreviewLimits withJobsPerCaller(int jobs) {
        return new PreviewLimits(anonymousMaxSide, anonymousMaxSteps, anonymousSeeds, jobs, maxQueued, timeBudget);
    }

    public PreviewLimits withMaxQueued(int queued) {
        return new PreviewLimits(anonymousMaxSide, anonymousMaxSteps, anonymousSeeds, jobsPerCaller, queued,
                timeBudget);
    }

    public PreviewLimits withTimeBudget(Duration budget) {
        return new PreviewLimits(anonymousMaxSide, anonymousMaxSteps, anonymousSeeds, jobsPerCaller, maxQueued,
                budget);
    }
}
