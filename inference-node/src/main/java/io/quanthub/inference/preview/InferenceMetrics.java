package io.quanthub.inference.preview;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * An inference node's meters (Prometheus names): {@code quanthub_previews_rendered_total},
 * {@code quanthub_previews_failed_total}, {@code quanthub_preview_render_seconds_total} (time spent on jobs),
 * {@code quanthub_inference_busy} (1 while rendering), {@code quanthub_model_cache_bytes},
 * {@code quanthub_inference_device_memory_bytes} (what it schedules by), {@code quanthub_inference_loaded_models} and
 * {@code quanthub_inference_loaded_bytes} (weights it keeps loaded). All read the node's own state: no cluster
 * reads.
 */
public final class InferenceMetrics implements MeterBinder {
    private final PreviewNode node;

    public InferenceMetrics(PreviewNode node) {
        this.node = node;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("quanthub_previews_rendered", node, PreviewNode::rendered)
                .description("Previews this node rendered").register(registry);
        FunctionCounter.builder("quanthub_previews_failed", node, PreviewNode::failed)
                .description("Previews that failed on this node").register(registry);
        FunctionCounter.builder("quanthub_preview_render_seconds", node, PreviewNode::renderSeconds)
                .description("Seconds this node spent on preview jobs").register(registry);
        Gauge.builder("quanthub_inference_busy", node, n -> n.busy() ? 1 : 0)
                .description("1 while this node renders a preview").strongReference(true).register(registry);
        Gauge.builder("quanthub_model_cache_bytes", node, PreviewNode::cachedBytes).baseUnit("bytes")
                .description("Model files in this node's cache").strongReference(true).register(registry);
        Gauge.builder("quanthub_inference_device_memory_bytes", node, n -> n.status().deviceMemoryBytes())
                .baseUnit("bytes").description("Device memory this node schedules previews by")
                .strongReference(true).register(registry);
        Gauge.builder("quanthub_inference_loaded_models", node, n -> n.status().loaded().size())
                .description("Models this node keeps loaded").strongReference(true).register(registry);
        Gauge.builder("quanthub_inference_loaded_bytes", node, n -> n.status().loaded().stream()
                        .mapToLong(NodeStatus.Loaded::bytes).sum()).baseUnit("bytes")
                .description("Weights of the models this node keeps loaded").strongReference(true).register(registry);
    }
}
