package io.quanthub.cli;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quanthub.cluster.ConverterMetrics;
import io.quanthub.cluster.JobService;
import io.quanthub.cluster.OpsServer;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code quanthub converter --join HOST:PORT}: one more member of the converter cluster, on this machine or
 * another. It joins the members at {@code --join}, takes the bucket from its options, an {@code --s3-config} file
 * or {@code QUANTHUB_S3_*} variables (never from the cluster, which carries no secrets), and runs conversion tasks until it is stopped
 * (Ctrl-C or SIGTERM: it hands its claimed tasks back to the cluster and leaves gracefully).
 */
@Command(name = "converter", mixinStandardHelpOptions = true,
        description = {"Run a converter-cluster member that joins a running hub's cluster and converts models.",
                "Storage: --s3-config FILE (on the hub's machine: --s3-config <data>/s3.properties, which "
                        + "'quanthub serve' writes for its embedded S3), --s3-* options or QUANTHUB_S3_* variables. "
                        + "A member reads its sources from the bucket by byte range and uploads what it "
                        + "produces there: it keeps no files of its own.",
                JoinOptions.CLUSTER_PORT_TRUST})
public final class ConverterCommand implements Callable<Integer> {
    @Mixin
    JoinOptions cluster;

    @Option(names = "--workers", paramLabel = "N",
            description = "Task threads (default: one per core, at most 4).")
    Integer workers;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Heap its running tasks may use at once, e.g. 2G (default: half the heap).")
    String memoryBudget;

    @Option(names = "--converter-version", hidden = true, paramLabel = "V",
            description = "Converter version to serve (benchmarks and tests run several in one bucket).")
    String converterVersion = JobService.CONVERTER_VERSION;

    @Spec
    CommandSpec spec;

    private final StopSignal stop = new StopSignal("quanthub-converter-shutdown");

    @Override
    public Integer call() throws Exception {
        JobService.Options options = JobService.Options.defaults(converterVersion);
        if (workers != null) options = options.withWorkers(workers);
        if (memoryBudget != null) {
            options = options.withMemoryBudget(ServeCommand.parseSize("--memory-budget", memoryBudget));
        }
        HazelcastInstance hz = cluster.startMember();
        HubStorage storage = null;
        JobService jobs = null;
        OpsServer ops = null;
        try {
            S3Settings bucket = cluster.bucket();
            storage = HubStorage.open(bucket);
            jobs = new JobService(hz, storage, options, JobService.TaskObserver.NONE).start();
            PrometheusMeterRegistry registry = OpsServer.newRegistry();
            new ConverterMetrics(jobs).bindTo(registry);
            ops = cluster.startOps(registry, hz, storage);
            PrintWriter out = spec.commandLine().getOut();
            out.println("converter member at " + cluster.address() + " " + JoinOptions.joined(hz, bucket) + "; "
                    + options.workers() + " workers, memory budget " + (options.memoryBudget() >> 20) + " MiB");
            out.println(cluster.opsLine(ops));
            out.flush();
            stop.await();
            return 0;
        } finally {
            if (ops != null) ops.close();
            if (jobs != null) jobs.close(); // hands claimed tasks back while the member is still in the cluster
            hz.shutdown();
            if (storage != null) storage.close();
            stop.release();
        }
    }

    /** Stops the member as Ctrl-C does (for tests running the command in-process). */
    void stop() {
        stop.stop();
    }
}
