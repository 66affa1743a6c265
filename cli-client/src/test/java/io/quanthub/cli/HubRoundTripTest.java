package io.quanthub.cli;

import io.quanthub.cli.hub.Sha256;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: the real hub ({@link HubServer} with its embedded S3) started in-process, the CLI's commands run
 * in-process against it over HTTP: push a directory, list it, pull it back, compare sha256 file by file.
 */
class HubRoundTripTest extends InProcessHubTest {
    private static Cli cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--hub", hub.url().toString(), "--token", admin));
        if (all.getFirst().equals("push") || all.getFirst().equals("pull")) all.add("--no-progress");
        return Cli.run(all.toArray(String[]::new));
    }

    private static void write(Path file, byte[] data) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, data);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void assertSameFiles(Path expectedDir, Path actualDir, List<String> paths) throws IOException {
        for (String p : paths) {
            assertEquals(Sha256.hex(expectedDir.resolve(p), n -> {}), Sha256.hex(actualDir.resolve(p), n -> {}), p);
        }
    }

    @Test
    void adminGcRunsTheHubsCollection() {
        Cli dry = cli("admin", "gc", "--dry-run", "--grace", "0");
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().startsWith("dry run, nothing deleted (grace 0s): would reclaim "), dry.out());
        assertTrue(dry.out().contains("unfinished uploads"), dry.out());

        Cli run = cli("admin", "gc", "--grace", "24h");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("garbage collected (grace 1d): reclaimed "), run.out());

        Cli typo = cli("admin", "gc", "--grace", "soon");
        assertEquals(1, typo.exit());
        assertEquals("quanthub: --grace: 'soon' is not a duration (expected e.g. 90s, 30m, 24h, 7d or PT24H)",
                typo.err().strip());

        Cli anonymous = Cli.run("admin", "gc", "--hub", hub.url().toString(), "--config",
                dir.resolve("no-login.json").toString());
        assertEquals(1, anonymous.exit());
        assertTrue(anonymous.err().contains("admin scope"), anonymous.err());
    }

    @Test
    void pushedDirectoryPullsBackIdentical() throws IOException {
        Path src = dir.resolve("plain");
        write(src.resolve("weights.bin"), random(3_000_000, 1));
        write(src.resolve("sub/config.json"), "{\"hidden_size\": 64}".getBytes());
        write(src.resolve("README.md"), "# a test model\n".getBytes());
        write(src.resolve(".git/HEAD"), "ref: refs/heads/main\n".getBytes());
        List<String> files = List.of("README.md", "sub/config.json", "weights.bin");

        Cli push = cli("push", src.toString(), "--repo", "e2e/plain", "--create", "-m", "first");
        assertEquals(0, push.exit(), push.err());
        assertTrue(push.out().startsWith("pushed e2e/plain@main: commit "), push.out());
        assertTrue(push.out().contains("3 files changed; 3 uploaded (2.86 MiB), 0 already on the hub"), push.out());

        Cli again = cli("push", src.toString(), "--repo", "e2e/plain");
        assertEquals(0, again.exit(), again.err());
        assertEquals("nothing to commit: e2e/plain@main already has these 3 files\n", again.out());

        Cli ls = cli("ls", "e2e/plain");
        assertEquals(0, ls.exit(), ls.err());
        for (String f : files) assertTrue(ls.out().contains("  " + f + " "), ls.out());
        assertFalse(ls.out().contains(".git"), ls.out());

        Path cache = dir.resolve("cache-plain");
        Path out = dir.resolve("out-plain");
        Cli pull = cli("pull", "e2e/plain", "--cache-dir", cache.toString(), "--out", out.toString());
        assertEquals(0, pull.exit(), pull.err());
        assertSameFiles(src, out, files);

        // A changed file: only it is uploaded, and only it is downloaded again.
        write(src.resolve("sub/config.json"), "{\"hidden_size\": 128}".getBytes());
        Cli second = cli("push", src.toString(), "--repo", "e2e/plain", "-m", "bigger");
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("1 file changed; 1 uploaded"), second.out());
        Cli repull = cli("pull", "e2e/plain", "--cache-dir", cache.toString(), "--out", out.toString());
        assertEquals(0, repull.exit(), repull.err());
        assertSameFiles(src, out, files);
        assertTrue(repull.out().contains("config.json  20 B  (downloaded, linked)"), repull.out());
        assertTrue(repull.out().contains("weights.bin  2.86 MiB  (cached, linked)"), repull.out());

        Cli cacheLs = Cli.run("cache", "ls", "--cache-dir", cache.toString());
        assertEquals(0, cacheLs.exit(), cacheLs.err());
        assertTrue(cacheLs.out().contains("e2e/plain"), cacheLs.out());
    }

    @Test
    void pushRefusesSymlinksThatLeaveTheFolder() throws IOException {
        Path src = dir.resolve("links");
        write(src.resolve("model.bin"), random(1000, 7));
        write(src.resolve("sub/config.json"), "{}".getBytes());
        Files.createSymbolicLink(src.resolve("passwd-link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(src.resolve("sub/up"), Path.of("../../outside-dir"));
        Files.createDirectories(dir.resolve("outside-dir"));
        Files.createSymbolicLink(src.resolve("alias.bin"), Path.of("model.bin")); // inside: followed

        Cli refused = cli("push", src.toString(), "--repo", "e2e/links", "--create");
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("2 symlinks point outside it: passwd-link -> /etc/passwd, "
                + "sub/up -> ../../outside-dir (--follow-symlinks uploads what they point to)"), refused.err());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertEquals(1, cli("ls", "e2e/links").exit(), "nothing was pushed, not even the repository");

        Cli followed = cli("push", src.toString(), "--repo", "e2e/links", "--create", "--follow-symlinks");
        assertEquals(0, followed.exit(), followed.err());
        Cli ls = cli("ls", "e2e/links");
        for (String f : List.of("alias.bin", "model.bin", "passwd-link", "sub/config.json")) {
            assertTrue(ls.out().contains("  " + f + " "), ls.out());
        }

        // Without the links that leave it, the folder pushes by default; the link inside is uploaded as its file.
        Files.delete(src.resolve("passwd-link"));
        Files.delete(src.resolve("sub/up"));
        Cli inside = cli("push", src.toString(), "--repo", "e2e/links-inside", "--create");
        assertEquals(0, inside.exit(), inside.err());
        assertTrue(inside.out().contains("3 files changed; 2 uploaded"), inside.out());
    }

    @Test
    void pushedGgufIsTheDefaultQuantAndPullsBackIdentical() throws IOException {
        Path source = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
                "flux-tiny", "model.safetensors");
        assumeTrue(Files.isRegularFile(source), "test data not found at " + source);
        Path src = dir.resolve("gguf");
        Files.createDirectories(src);
        Path gguf = src.resolve("flux-tiny-Q8_0.gguf");
        Cli convert = Cli.run("convert", source.toString(), "--quant", "Q8_0", "--out", gguf.toString(),
                "--threads", "1", "--no-progress");
        assertEquals(0, convert.exit(), convert.err());

        Cli push = cli("push", src.toString(), "--repo", "e2e/flux-tiny", "--create");
        assertEquals(0, push.exit(), push.err());

        Cli info = cli("info", "e2e/flux-tiny");
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("Q8_0 *  pushed"), info.out());

        Path cache = dir.resolve("cache-gguf");
        Cli pull = cli("pull", "e2e/flux-tiny", "--cache-dir", cache.toString(), "--out", dir.resolve("out-gguf")
                .toString());
        assertEquals(0, pull.exit(), pull.err());
        assertTrue(pull.out().contains(", quant Q8_0: 1 file"), pull.out());
        assertSameFiles(src, dir.resolve("out-gguf"), List.of("flux-tiny-Q8_0.gguf"));
    }

    @Test
    void privateRepositoriesNeedAToken() throws IOException {
        Path src = dir.resolve("private");
        write(src.resolve("secret.bin"), random(1000, 2));
        Cli push = cli("push", src.toString(), "--repo", "e2e/secret", "--create", "--private");
        assertEquals(0, push.exit(), push.err());
        assertTrue(push.err().contains("created private repository e2e/secret"), push.err());

        Cli anonymous = Cli.run("pull", "e2e/secret", "--hub", hub.url().toString(), "--cache-dir",
                dir.resolve("cache-anon").toString());
        assertEquals(1, anonymous.exit());
        assertTrue(anonymous.err().startsWith("quanthub: ") && anonymous.err().contains("(HTTP 404)"),
                anonymous.err());

        Cli pull = cli("pull", "e2e/secret", "--cache-dir", dir.resolve("cache-secret").toString(), "--out",
                dir.resolve("out-secret").toString());
        assertEquals(0, pull.exit(), pull.err());
        assertSameFiles(src, dir.resolve("out-secret"), List.of("secret.bin"));
    }

    @Test
    void loginSavesTheHubForLaterCommands() throws IOException {
        Path config = dir.resolve("login/config.json");
        Cli login = Cli.run("login", "--hub", hub.url().toString(), "--token", admin, "--config", config.toString());
        assertEquals(0, login.exit(), login.err());
        Path src = dir.resolve("login-src");
        write(src.resolve("a.txt"), "hello".getBytes());
        Cli push = Cli.run("push", src.toString(), "--repo", "e2e/login", "--create", "--config", config.toString(),
                "--no-progress");
        assertEquals(0, push.exit(), push.err());
        Cli ls = Cli.run("ls", "--config", config.toString());
        assertEquals(0, ls.exit(), ls.err());
        assertTrue(ls.out().contains("e2e/login"), ls.out());
    }
}
