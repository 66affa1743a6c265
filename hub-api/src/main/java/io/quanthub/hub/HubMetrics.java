package io.quanthub.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;

/**
 * The hub's own meters, next to Vert.x's HTTP metrics in the same registry. Prometheus names:
 * {@code quanthub_served_bytes_total} (file bytes sent by downloads), {@code quanthub_uploads_total{result}}
 * (uploads by outcome: stored, too_large, rejected, timed_out, failed), {@code quanthub_uploaded_bytes_total} (bytes
 * stored by uploads), {@code quanthub_gc_runs_total} (garbage-collection runs that deleted, dry runs not counted)
 * and {@code quanthub_gc_reclaimed_bytes_total} (bytes they freed).
 */
final class HubMetrics {
    enum UploadResult { STORED, TOO_LARGE, REJECTED, TIMED_OUT, FAILED }

    private final Counter bytesServed;
    private final Counter uploadBytes;
    private final Counter[] uploads = new Counter[UploadResult.values().length];
    private final Counter gcRuns;
    private final Counter gcReclaimed;

    HubMetrics(MeterRegistry registry) {
        bytesServed = Counter.builder("quanthub.served").baseUnit("bytes")
                .description("File bytes sent by downloads").register(registry);
        uploadBytes = Counter.builder("quanthub.uploaded").baseUnit("bytes")
                .description("Bytes stored by uploads").register(registry);
        for (UploadResult r : UploadResult.values()) {
            uploads[r.ordinal()] = Counter.builder("quanthub.uploads").tag("result", r.name().toLowerCase(Locale.ROOT))
                    .description("Uploads by outcome").register(registry);
        }
        gcRuns = Counter.builder("quanthub.gc.runs").description("Garbage-collection runs (dry runs not counted)")
                .register(registry);
        gcReclaimed = Counter.builder("quanthub.gc.reclaimed").baseUnit("bytes")
                .description("Bytes freed by garbage collection").register(registry);
    }

    void collected(long reclaimedBytes) {
        gcRuns.increment();
        gcReclaimed.increment(reclaimedBytes);
    }

    void served(long bytes) {
        bytesServed.increment(bytes);
    }

    void upload(UploadResult result, long bytes) {
        uploads[result.ordinal()].increment();
        if (result == UploadResult.STORED) uploadBytes.increment(bytes);
    }
}
