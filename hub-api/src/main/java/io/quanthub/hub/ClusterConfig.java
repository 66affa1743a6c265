package io.quanthub.hub;

import io.quanthub.cluster.Discovery;
import io.quanthub.cluster.JobService;
import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.CpuBackend;
import java.util.function.Supplier;

/**
 * The converter-cluster member a hub runs in its own process (see {@link ConverterMember}). The single-machine
 * default is one member on loopback that runs every conversion; converter members ({@code quanthub converter
 * --join}) and other hubs join it by its address, or it joins theirs through {@code join}.
 *
 * @param host     the address the member binds and announces ({@code 127.0.0.1} by default: this machine only;
 *                 the pod IP in Kubernetes)
 * @param port     its port ({@value #DEFAULT_PORT}, Hazelcast's usual one, by default; 0 picks a free one)
 * @param join     how to find the other members ({@code host:port,...} or {@code dns:SERVICE[:PORT]}), or null for
 *                 a cluster that starts with this member
 * @param options  the job service's settings (converter version, part size, workers, ...)
 * @param converts whether this member runs conversion tasks too, or only accepts requests and keeps job records
 *                 (a hub whose converting is left to converter members)
 * @param renders  whether an inference node runs in this process to render previews, or rendering is left to
 *                 inference nodes that join the cluster ({@code quanthub inference-node --join})
 * @param deviceMemory the device memory that node schedules and loads models by ({@code --device-memory}), or null
 * @param backends the backend that node renders on ({@code --backend}), one per loaded model
 * @param deviceMemory the device memory that node schedules and loads models by ({@code --device-memory}), or null
 *                 for what its backend reports
 */
public record ClusterConfig(String host, int port, Discovery join, JobService.Options options, boolean converts,
                            boolean renders, Supplier<ComputeBackend> backends, Long deviceMemory) {
    public static final int DEFAULT_PORT = Discovery.DEFAULT_PORT;
    public static final String DEFAULT_HOST = "127.0.0.1";

    public ClusterConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("cluster host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("cluster port " + port + " is not in 0..65535");
        if (options == null) throw new IllegalArgumentException("no job service options");
        if (backends == null) throw new IllegalArgumentException("no compute backend");
        if (deviceMemory != null && deviceMemory <= 0) {
            throw new IllegalArgumentException("device memory must be positive");
        }
    }

    /**
     * One member on {@code 127.0.0.1:5701} that converts and renders (on the CPU), joining nobody, with the job service's default
     * settings.
     */
    public static ClusterConfig defaults() {
        return new ClusterConfig(DEFAULT_HOST, DEFAULT_PORT, null, JobService.Options.defaults(
                JobService.CONVERTER_VERSION), true, true, CpuBackend::new, null);
    }

    public ClusterConfig withHost(String newHost) {
        return new ClusterConfig(newHost, port, join, options, converts, renders, backends, deviceMemory);
    }

    public ClusterConfig withPort(int newPort) {
        return new ClusterConfig(host, newPort, join, options, converts, renders, backends, deviceMemory);
    }

    public ClusterConfig withJoin(Discovery discovery) {
        return new ClusterConfig(host, port, discovery, options, converts, renders, backends, deviceMemory);
    }

    public ClusterConfig withOptions(JobService.Options newOptions) {
        return new ClusterConfig(host, port, join, newOptions, converts, renders, backends, deviceMemory);
    }

    public ClusterConfig withConverts(boolean runsTasks) {
        return new ClusterConfig(host, port, join, options, runsTasks, renders, backends, deviceMemory);
    }

    public ClusterConfig withBackends(Supplier<ComputeBackend> newBackends) {
        return new ClusterConfig(host, port, join, options, converts, renders, newBackends, deviceMemory);
    }

    public ClusterConfig withRenders(boolean runsInferenceNode) {
        return new ClusterConfig(host, port, join, options, converts, runsInferenceNode, backends, deviceMemory);
    }

    public ClusterConfig withDeviceMemory(Long bytes) {
        return new ClusterConfig(host, port, join, options, converts, renders, backends, bytes);
    }
}
