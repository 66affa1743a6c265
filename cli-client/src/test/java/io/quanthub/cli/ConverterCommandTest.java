package io.quanthub.cli;

import com.hazelcast.core.HazelcastInstance;
import io.quanthub.cluster.ClusterMember;
import io.quanthub.cluster.JobService;
import io.quanthub.cluster.JobView;
import io.quanthub.cluster.Task;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.storage.Digest;
import io.quanthub.storage.EmbeddedS3;
import io.quanthub.storage.HubStorage;
import io.quanthub.storage.RepoName;
import io.quanthub.storage.S3SettingsFile;
import io.quanthub.storage.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub converter --join} run in-process against a real cluster member (which runs no task itself): the
 * new member joins, takes the bucket from its {@code --s3-config} file, and does the whole conversion.
 */
class ConverterCommandTest {
    private static final Path FLUX_TINY = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");
    private static final String VERSION = "cli-test-1";

    @TempDir
    Path dir;

    @Test
    void aJoiningMemberUsesTheBucketOfItsSettingsFileAndRunsTheTasks() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"));
             HubStorage storage = HubStorage.open(s3.settings("converter-test"))) {
            HazelcastInstance hub = ClusterMember.start(ClusterMember.DEFAULT_CLUSTER, List.of("127.0.0.1:" + port),
                    port);
            // Never started: this member accepts the request, the converter member runs every task.
            JobService requests = new JobService(hub, storage, JobService.Options.defaults(VERSION),
                    JobService.TaskObserver.NONE);
            try {
                Path s3Config = dir.resolve("s3.properties");
                S3SettingsFile.write(s3Config, s3.settings("converter-test"));
                ConverterCommand command = new ConverterCommand();
                CommandLine cli = new CommandLine(command);
                PipedReader pipe = new PipedReader();
                cli.setOut(new PrintWriter(new PipedWriter(pipe), true));
                cli.setErr(new PrintWriter(new StringWriter()));
                CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                        "--join", "127.0.0.1:" + port, "--s3-config", s3Config.toString(), "--workers", "1",
                        "--converter-version", VERSION));

                String started = new BufferedReader(pipe).readLine();
                assertTrue(started.startsWith("converter member at 127.0.0.1:") && started.contains("joined a cluster "
                        + "of 2 members") && started.contains("bucket converter-test"), started);

                Digest source;
                try (InputStream in = Files.newInputStream(FLUX_TINY)) {
                    source = storage.blobs().put(in, Files.size(FLUX_TINY)).digest();
                }
                Variant.Key key = new Variant.Key(source, "Q4_0", VERSION);
                requests.request(key, new Variant.Provenance(RepoName.parse("test/model"), "0".repeat(64),
                        "model.safetensors", "test", Instant.parse("2026-01-01T00:00:00Z")));
                JobView done = awaitFinished(requests, key);

                assertEquals(JobView.State.DONE, done.state(), done.reason());
                Path expected = dir.resolve("expected.gguf");
                new Converter(1, true).convert(FLUX_TINY, QuantLevel.Q4_0, expected, Converter.ProgressListener.NONE);
                assertEquals(Digest.of(Files.readAllBytes(expected)).toString(), done.outputDigest());
                for (Task.Kind kind : Task.Kind.values()) assertEquals(0, requests.tasksRun(kind), "hub ran " + kind);

                command.stop();
                assertEquals(0, exit.get());
                long deadline = System.nanoTime() + 60_000_000_000L; // the hub learns of the leave asynchronously
                while (hub.getCluster().getMembers().size() > 1 && System.nanoTime() < deadline) Thread.sleep(50);
                assertEquals(1, hub.getCluster().getMembers().size(), "the converter left the cluster");
            } finally {
                requests.close();
                hub.getLifecycleService().terminate();
            }
        }
    }

    @Test
    void aBadJoinAddressIsAOneLineError() {
        CommandLine cli = QuantHubCli.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("converter", "--join", "nowhere");
        assertEquals(1, exit);
        assertTrue(err.toString().startsWith("quanthub: cluster address 'nowhere'"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void aMemberWithoutS3SettingsIsAOneLineErrorNamingWhereToGetThem() {
        Cli noBucket = Cli.run("converter", "--join", "127.0.0.1:5701");
        assertEquals(1, noBucket.exit());
        assertEquals("quanthub: " + JoinOptions.NO_BUCKET + "\n", noBucket.err());
        Cli missingFile = Cli.run("converter", "--join", "127.0.0.1:5701", "--s3-config",
                dir.resolve("nothing.properties").toString());
        assertEquals(1, missingFile.exit());
        assertEquals("quanthub: S3 settings file " + dir.resolve("nothing.properties") + " does not exist\n",
                missingFile.err());
    }

    private static JobView awaitFinished(JobService jobs, Variant.Key key) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L; // a hang guard, not a timing assertion
        while (System.nanoTime() < deadline) {
            JobView job = jobs.find(key).orElseThrow();
            if (job.finished()) return job;
            Thread.sleep(50);
        }
        throw new AssertionError(key + " did not finish: " + jobs.find(key));
    }
}
