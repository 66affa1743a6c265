package io.quanthub.cli;

import io.quanthub.cluster.JobService;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.safetensors.SafetensorsHeader;
import io.quanthub.gguf.safetensors.SafetensorsTensor;
import io.quanthub.hub.ClusterConfig;
import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import io.quanthub.storage.StorageOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub pull org/name:QUANT} of a level the hub does not have yet, against a real hub in-process whose
 * converter-cluster member converts it: the pull starts the job, follows it, then downloads the converter's bytes.
 */
class PullProducesTest {
    private static final Path FLUX_TINY = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "flux-tiny", "model.safetensors");

    @TempDir
    static Path dir;
    static HubServer hub;
    static String admin;

    @BeforeAll
    static void startHub() throws IOException {
        JobService.Options options = JobService.Options.defaults(JobService.CONVERTER_VERSION)
                .withPartSize(StorageOptions.MIN_PART_SIZE).withWorkers(1);
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0)
                .withCluster(ClusterConfig.defaults().withPort(0).withOptions(options)));
        admin = Files.readString(hub.adminTokenFile()).strip();
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) hub.close();
    }

    private static Cli cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--hub", hub.url().toString(), "--token", admin));
        return Cli.run(all.toArray(String[]::new));
    }

    /** Pushes a folder holding {@code model} as model.safetensors to a new repository. */
    private static void pushModel(String repo, byte[] model) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(repo.replace('/', '_')));
        Files.write(folder.resolve("model.safetensors"), model);
        Cli push = cli("push", folder.toString(), "--repo", repo, "--create", "-m", "add the model", "--no-progress");
        assertEquals(0, push.exit(), push.err());
    }

    @Test
    void pullOfAMissingLevelConvertsItOnTheHubThenDownloadsIt() throws IOException {
        pushModel("e2e/tiny", Files.readAllBytes(FLUX_TINY));
        Path cache = dir.resolve("cache");

        Cli pull = cli("pull", "e2e/tiny:Q4_0", "--cache-dir", cache.toString(), "--progress");
        assertEquals(0, pull.exit(), pull.err());
        assertTrue(pull.err().startsWith("e2e/tiny:Q4_0 is not on the hub yet: converting it there (job "), pull.err());
        assertTrue(pull.err().contains("convert [########################] 100%") && pull.err().contains("converted"),
                "the conversion's progress bar ends full: " + pull.err());

        Path expected = dir.resolve("expected-Q4_0.gguf");
        new Converter(2, true).convert(FLUX_TINY, QuantLevel.Q4_0, expected, Converter.ProgressListener.NONE);
        Path pulled = Files.list(cache.resolve("models--e2e--tiny/snapshots")).findFirst().orElseThrow()
                .resolve("tiny-Q4_0.gguf");
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(pulled), "the converter's bytes");

        // Pulled again: nothing to convert, nothing to download.
        Cli again = cli("pull", "e2e/tiny:Q4_0", "--cache-dir", cache.toString(), "--no-progress");
        assertEquals(0, again.exit(), again.err());
        assertEquals("", again.err());
        assertTrue(again.out().contains("(cached)"), again.out());

        // info shows the converter's error measures of the produced level next to its size.
        Cli info = cli("info", "e2e/tiny");
        assertEquals(0, info.exit(), info.err());
        String row = info.out().lines().filter(l -> l.strip().startsWith("Q4_0")).findFirst().orElseThrow();
        assertTrue(row.matches(".*available .* \\d+\\.\\d\\d% +0\\.9\\d{4} +tiny-Q4_0\\.gguf"), row);
        assertTrue(info.out().contains("REL RMSE") && info.out().contains("COSINE"), info.out());
    }

    @Test
    void aFailedConversionIsAOneLineErrorAndExitCodeOne() throws IOException {
        byte[] model = Files.readAllBytes(FLUX_TINY);
        SafetensorsHeader header = SafetensorsHeader.read("flux-tiny",
                (offset, length) -> Arrays.copyOfRange(model, (int) offset, (int) offset + length), model.length);
        SafetensorsTensor weight = header.tensors().stream()
                .filter(t -> t.name().equals("double_blocks.0.img_attn.qkv.weight")).findFirst().orElseThrow();
        model[(int) weight.fileOffset()] = (byte) 0xC0; // BF16 NaN, little-endian 0x7FC0
        model[(int) weight.fileOffset() + 1] = 0x7F;
        pushModel("e2e/broken", model);

        Cli pull = cli("pull", "e2e/broken:Q8_0", "--cache-dir", dir.resolve("cache").toString(), "--no-progress");
        assertEquals(1, pull.exit());
        List<String> errorLines = pull.err().lines().filter(l -> l.startsWith("quanthub: ")).toList();
        assertEquals(1, errorLines.size(), pull.err());
        String error = errorLines.getFirst();
        assertTrue(error.startsWith("quanthub: the hub could not produce e2e/broken:Q8_0: ")
                && error.contains("double_blocks.0.img_attn.qkv.weight"), error);
    }
}
