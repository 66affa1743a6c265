package io.quanthub.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Map;

/**
 * The converter cluster's meters, for the hub's registry:
 * <ul>
 *   <li>{@code quanthub_jobs{state=queued|running|done|failed}}: jobs in the cluster's jobs map (cluster-wide; done
 *       and failed ones stay there for {@link JobService.Options#keepFinished()});</li>
 *   <li>{@code quanthub_converted_bytes_total}: output bytes this member produced and uploaded;</li>
 *   <li>{@code quanthub_member_throughput_bytes_per_second}: the same over the last 30 seconds.</li>
 * </ul>
 * The job counts are made once per scrape for the four gauges, from the jobs' keys only ({@link JobService#counts()}).
 */
public final class ConverterMetrics implements MeterBinder {
    /** How long one read of the jobs map serves the four state gauges of a scrape. */
    private static final long COUNTS_TTL_NANOS = 1_000_000_000L;

    private final JobService jobs;
    private Map<JobView.State, Long> counts;
    private long countedAt;

    public ConverterMetrics(JobService jobs) {
        this.jobs = jobs;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (JobView.State state : JobView.State.values()) {
            Gauge.builder("quanthub_jobs", this, m -> m.count(state))
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .description("Conversion jobs in the cluster by state")
                    .strongReference(true) // the registry is the only one holding this binder
                    .register(registry);
        }
        // Prometheus adds "_total" to counters: this is quanthub_converted_bytes_total there.
        FunctionCounter.builder("quanthub_converted_bytes", jobs, JobService::bytesConverted)
                .description("Output bytes this member converted and uploaded")
                .register(registry);
        Gauge.builder("quanthub_member_throughput_bytes_per_second", jobs, JobService::throughput)
                .description("Output bytes per second this member converted over the last 30 seconds")
                .strongReference(true)
                .register(registry);
    }

    private synchronized double count(JobView.State state) {
        long now = System.nanoTime();
        if (counts == null || now - countedAt > COUNTS_TTL_NANOS) {
            counts = jobs.counts();
            countedAt = now;
        }
        return counts.getOrDefault(state, 0L);
    }
}
