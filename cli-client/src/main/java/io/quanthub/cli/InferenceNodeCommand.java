package io.quanthub.cli;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.cluster.OpsServer;
import io.quanthub.inference.preview.DeviceMemory;
import io.quanthub.inference.preview.InferenceMetrics;
import io.quanthub.inference.preview.PreviewJobs;
import io.quanthub.inference.preview.PreviewNode;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code quanthub inference-node --join HOST:PORT}: one more inference node of a running hub's cluster. It joins the
 * members at {@code --join}, takes the bucket from its options, an {@code --s3-config} file or {@code QUANTHUB_S3_*}
 * variables (never from the cluster, which carries no secrets), and renders preview jobs until it is stopped (Ctrl-C or SIGTERM: the job it was rendering goes
 * back to the queue).
 */
@Command(name = "inference-node", mixinStandardHelpOptions = true,
        description = {"Run an inference node that joins a running hub's cluster and renders previews.",
                "Model files are cached under --data (at most --cache-size). Storage: --s3-config FILE (on the "
                        + "hub's machine: --s3-config <data>/s3.properties, which 'quanthub serve' writes for its "
                        + "embedded S3), --s3-* options or QUANTHUB_S3_* variables.",
                JoinOptions.CLUSTER_PORT_TRUST})
public final class InferenceNodeCommand implements Callable<Integer> {
    @Mixin
    JoinOptions cluster;

    @Option(names = "--data", defaultValue = "./inference-data", paramLabel = "DIR",
            description = "Folder for cached model files (default: ${DEFAULT-VALUE}); created if missing.")
    Path data;

    @Option(names = "--cache-size", defaultValue = "32G", paramLabel = "SIZE",
            description = "Model files to keep in --data (default: ${DEFAULT-VALUE}); least recently used go first.")
    String cacheSize;

    @Option(names = "--text-encoders", paramLabel = "ARCH:ROLE=REF[,ROLE=REF...]",
            description = "The hub's default text encoders (the same options as its 'quanthub serve "
                    + "--text-encoders'): prompt previews may run these besides the encoders a repository names. "
                    + "Repeatable.")
    List<String> textEncoders = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Mixin
    BackendOption backend;

    @Mixin
    DeviceMemoryOption deviceMemory;

    private final StopSignal stop = new StopSignal("quanthub-inference-node-shutdown");

    @Override
    public Integer call() throws Exception {
        long cacheBytes = ServeCommand.parseSize("--cache-size", cacheSize);
        Long deviceBytes = deviceMemory.bytes();
        var backends = backend.factory(); // a backend this build cannot run fails before anything starts
        HazelcastInstance hz = cluster.startMember();
        HubStorage storage = null;
        PreviewJobs jobs = null;
        PreviewNode node = null;
        OpsServer ops = null;
        try {
            S3Settings bucket = cluster.bucket();
            storage = HubStorage.open(bucket);
            jobs = new PreviewJobs(hz);
            node = PreviewNode.start(jobs, storage, data.resolve("model-cache"), cacheBytes,
                    ServeCommand.textEncoderDefaults(textEncoders), backends, deviceBytes);
            PrometheusMeterRegistry registry = OpsServer.newRegistry();
            new InferenceMetrics(node).bindTo(registry);
            ops = cluster.startOps(registry, hz, storage);
            // Announced once the options held: a bad option's error stays the only line.
            BackendOption.announce(backends.get(), spec.commandLine().getErr());
            PrintWriter out = spec.commandLine().getOut();
            out.println("inference node at " + node.address() + " " + JoinOptions.joined(hz, bucket)
                    + "; model cache " + data.resolve("model-cache").toAbsolutePath() + "; device memory "
                    + DeviceMemory.format(node.status().deviceMemoryBytes()));
            out.println(cluster.opsLine(ops));
            out.flush();
            stop.await();
            return 0;
        } finally {
            if (ops != null) ops.close();
            if (node != null) node.close(); // its unfinished job goes back to the queue while the member is in
            if (jobs != null) jobs.close();
            hz.shutdown();
            if (storage != null) storage.close();
            stop.release();
        }
    }

    /** Stops the node as Ctrl-C does (for tests running the command in-process). */
    void stop() {
        stop.stop();
    }
}
