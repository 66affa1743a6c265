package io.quanthub.cli;

import io.quanthub.cli.hub.SavedLogin;
import io.quanthub.hub.api.QuantTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static io.quanthub.cli.PullCommandTest.C1;
import static io.quanthub.cli.PullCommandTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code login}, {@code ls} and {@code info} in-process against hub answers shaped as docs/hub-api.md specifies. */
class RemoteCommandsTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private RangeFileServer server;
    private StaticHub hub;

    @BeforeEach
    void start() throws IOException {
        server = RangeFileServer.start();
        hub = new StaticHub(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void publishFlux() {
        byte[] q8 = random(700_000, 1);
        byte[] q4 = random(400_000, 2);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("flux-Q8_0.gguf", q8);
        files.put("flux-Q4_K_M.gguf", q4);
        hub.commit("org/flux", C1, files, List.of("main"));
        // Q4_K_M was converted by the hub, so it carries the converter's error measures; Q8_0 was pushed.
        QuantTable.Level converted = StaticHub.withQuality(
                StaticHub.level("Q4_K_M", "flux-Q4_K_M.gguf", q4, 0, 4.8, 7 * GIB, 11 * GIB), 0.0312, 0.999512);
        hub.quants("org/flux", C1, "Q8_0", List.of(
                StaticHub.level("Q8_0", "flux-Q8_0.gguf", q8, 0, 8.5, 13 * GIB, 22 * GIB),
                converted,
                StaticHub.level("Q2_K", null, null, 4_000_000_000L, 2.625, 5 * GIB, 9 * GIB)));
    }

    @Test
    void infoShowsSummaryQuantsAndVramFit() {
        publishFlux();
        Cli info = Cli.run("info", "org/flux", "--hub", server.base());
        assertEquals(0, info.exit(), info.err());
        assertEquals(List.of(
                "org/flux",
                "  revision      main -> commit " + C1,
                "  architecture  flux, 11.9B parameters",
                "  branches      main",
                "  tags          -",
                "  files         3, 1.05 MiB (2 GGUF)",
                "",
                "Quant levels (* = what org/flux without :QUANT pulls; ~ = estimated size; REL RMSE and COSINE: the "
                        + "converter's error against the source weights):",
                "  QUANT   STATUS          SIZE  BITS/WEIGHT  REL RMSE   COSINE  FILE",
                "  Q8_0 *  available    684 KiB         8.50         -        -  flux-Q8_0.gguf",
                "  Q4_K_M  available    391 KiB         4.80     3.12%  0.99951  flux-Q4_K_M.gguf",
                "  Q2_K    missing    ~3.73 GiB         2.63         -        -  -",
                "",
                "VRAM fit (yes = fits with text encoders + VAE; model = only the model alone fits; no = does not fit;"
                        + " ? = unknown):",
                "  QUANT   6 GiB  8 GiB  12 GiB  16 GiB  24 GiB",
                "  Q8_0    no     no     no      model   yes",
                "  Q4_K_M  no     model  yes     yes     yes",
                "  Q2_K    model  model  yes     yes     yes"), info.out().lines().toList());
    }

    @Test
    void infoOfOneQuant() {
        publishFlux();
        Cli info = Cli.run("info", "org/flux:q4_k_m", "--hub", server.base());
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("  Q4_K_M  available  391 KiB         4.80     3.12%  0.99951  flux-Q4_K_M.gguf\n"),
                info.out());
        assertFalse(info.out().contains("Q8_0 *"), info.out());
        Cli unknown = Cli.run("info", "org/flux:Q5_0", "--hub", server.base());
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().endsWith("quanthub: org/flux has no quant level Q5_0\n"), unknown.err());
    }

    /**
     * A level the hub converted is a file of the revision no commit lists: ls lists it, info counts it. A small
     * model's K-quant level heavier than its Q8_0 (tensors kept F16) carries the explanation.
     */
    @Test
    void lsAndInfoShowProducedLevelsAndExplainTheF16Fallback() {
        byte[] q8 = random(1024, 1);
        byte[] produced = random(2048, 2);
        hub.commit("org/small", C1, Map.of("flux-Q8_0.gguf", q8), List.of("main"));
        hub.quants("org/small", C1, "Q8_0", List.of(
                StaticHub.level("Q8_0", "flux-Q8_0.gguf", q8, 0, 8.5, GIB, GIB),
                StaticHub.level("Q4_K_M", "small-Q4_K_M.gguf", produced, 0, 15.2, GIB, GIB)));

        Cli ls = Cli.run("ls", "org/small", "--hub", server.base());
        assertEquals(0, ls.exit(), ls.err());
        List<String> lines = ls.out().lines().toList();
        assertEquals("org/small@main (commit 111111111111): 1 files, 1.00 KiB; 1 quant level produced by the hub",
                lines.get(0));
        assertTrue(lines.get(3).matches("  small-Q4_K_M\\.gguf  2.00 KiB  [0-9a-f]{12}  produced by the hub "
                + "\\(pull org/small:Q4_K_M\\)"), ls.out());

        Cli info = Cli.run("info", "org/small", "--hub", server.base());
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("  files         1, 1.00 KiB (1 GGUF); 1 quant level produced by the hub\n"),
                info.out());
        assertTrue(info.out().lines().anyMatch(l -> l.matches("  Q4_K_M +available +2.00 KiB +15.20 ! .*")),
                info.out());
        assertTrue(info.out().lines().anyMatch(l -> l.matches(" +Q8_0 \\* +available +1.00 KiB +8.50 +- .*")),
                "Q8_0 itself has no mark: " + info.out());
        assertTrue(info.out().contains("  " + InfoCommand.F16_NOTE + "\n"), info.out());
    }

    @Test
    void lsListsRepositoriesAndFiles() {
        server.json("/api/models", "[{\"id\": \"org/flux\", \"private\": false, \"architecture\": \"flux\", "
                + "\"size\": 1100000, \"lastModified\": \"2026-11-20T10:15:30Z\"}, {\"id\": \"me/secret\", "
                + "\"private\": true, \"architecture\": null, \"size\": 12, \"lastModified\": null}]");
        Cli ls = Cli.run("ls", "--hub", server.base());
        assertEquals(0, ls.exit(), ls.err());
        assertEquals(List.of(
                "NAME                 ARCHITECTURE      SIZE  UPDATED",
                "org/flux             flux          1.05 MiB  2026-11-20 10:15",
                "me/secret (private)  -                 12 B  -"), ls.out().lines().toList());

        publishFlux();
        Cli files = Cli.run("ls", "org/flux", "--hub", server.base());
        assertEquals(0, files.exit(), files.err());
        List<String> lines = files.out().lines().toList();
        assertEquals("org/flux@main (commit 111111111111): 3 files, 1.05 MiB", lines.get(0));
        assertEquals("  PATH                 SIZE  SHA256", lines.get(1));
        assertTrue(lines.get(3).matches("  flux-Q8_0\\.gguf    684 KiB  [0-9a-f]{12}"), lines.get(3));
    }

    @Test
    void loginChecksAndSavesHubAndTokenForTheOtherCommands() throws IOException {
        server.json("/api/models", "[]");
        Path config = dir.resolve("config/quanthub/config.json");
        Cli login = Cli.run("login", "--hub", server.base() + "/", "--token", "secret-1", "--config",
                config.toString());
        assertEquals(0, login.exit(), login.err());
        assertEquals("logged in to " + server.base() + " (saved in " + config + ")\n", login.out());
        assertEquals(Optional.of(new SavedLogin(server.base(), "secret-1")), SavedLogin.read(config));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.getParent())));

        // Later commands find the hub and token in the file.
        server.resetCounts();
        Cli ls = Cli.run("ls", "--config", config.toString());
        assertEquals(0, ls.exit(), ls.err());
        assertEquals("no repositories\n", ls.out());
        assertEquals(List.of(new RangeFileServer.Request("GET", "/api/models", "Bearer secret-1", null)),
                server.requests());
    }

    @Test
    void loginReadsTheTokenFromStandardInput() throws IOException {
        server.json("/api/models", "[]");
        Path config = dir.resolve("config.json");
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("piped-token\n".getBytes(StandardCharsets.UTF_8)));
            Cli login = Cli.run("login", "--hub", server.base(), "--config", config.toString());
            assertEquals(0, login.exit(), login.err());
        } finally {
            System.setIn(stdin);
        }
        assertEquals("piped-token", SavedLogin.read(config).orElseThrow().token());
    }

    @Test
    void loginWithARejectedTokenSavesNothing() {
        server.json("/api/models?limit=1", 401, "{\"error\": \"invalid token\"}");
        Path config = dir.resolve("config.json");
        Cli login = Cli.run("login", "--hub", server.base(), "--token", "bad", "--config", config.toString());
        assertEquals(1, login.exit());
        assertEquals("quanthub: invalid token (HTTP 401)\n", login.err());
        assertFalse(Files.exists(config));
    }

    @Test
    void anAnswerOfTheWrongShapeIsOneLineNamingTheField() throws IOException {
        server.json("/api/models", "[{\"id\": \"org/flux\", \"private\": false, \"size\": \"large\"}]");
        Cli ls = Cli.run("ls", "--hub", server.base());
        assertEquals(1, ls.exit());
        assertTrue(ls.err().startsWith("quanthub: hub response to GET /api/models: field [0].size: "), ls.err());
        assertEquals(1, ls.err().lines().count(), ls.err());

        // A file path that would leave the download folder is refused before anything is written.
        server.json("/api/models/org/evil?revision=main", "{\"id\": \"org/evil\", \"private\": false, \"sha\": \""
                + C1 + "\", \"files\": [{\"path\": \"../../.bashrc\", \"size\": 1, \"digest\": \"sha256:"
                + "a".repeat(64) + "\"}]}");
        Cli pull = Cli.run("pull", "org/evil", "--hub", server.base(), "--cache-dir", dir.resolve("c").toString(),
                "--no-progress");
        assertEquals(1, pull.exit());
        assertTrue(pull.err().startsWith("quanthub: hub response to GET /api/models/org/evil?revision=main: "),
                pull.err());
        assertTrue(pull.err().contains("../../.bashrc"), pull.err());
        try (Stream<Path> written = Files.walk(dir)) {
            assertFalse(written.anyMatch(p -> p.getFileName().toString().equals(".bashrc")));
        }
    }

    @Test
    void remoteCommandsWithoutAHubSayHowToGiveOne() {
        Cli ls = Cli.run("ls", "--config", dir.resolve("none.json").toString());
        assertEquals(1, ls.exit());
        assertEquals("quanthub: no hub given: use --hub URL, set QUANTHUB_HUB, or run 'quanthub login --hub URL'\n",
                ls.err());
    }
}
