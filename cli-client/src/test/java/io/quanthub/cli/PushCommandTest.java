package io.quanthub.cli;

import io.quanthub.cli.RangeFileServer.Answer;
import io.quanthub.cli.hub.Sha256;
import io.quanthub.hub.api.ApiJson;
import io.quanthub.hub.api.CommitBody;
import io.quanthub.hub.api.Committed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quanthub push} against scripted hub answers shaped as docs/hub-api.md specifies, for what the real hub
 * cannot be made to do on cue: a branch that moves between reading its head and committing.
 * ({@link HubRoundTripTest} pushes to the real hub.)
 */
class PushCommandTest {
    private static final String H1 = "a".repeat(64);
    private static final String H2 = "b".repeat(64);
    private static final String NEW = "c".repeat(64);

    @TempDir
    Path dir;

    private RangeFileServer server;
    private Path file;
    private String sha;

    @BeforeEach
    void start() throws IOException {
        server = RangeFileServer.start();
        file = dir.resolve("src/model.gguf");
        Files.createDirectories(file.getParent());
        Files.write(file, PullCommandTest.random(5000, 1));
        sha = Sha256.hex(Files.readAllBytes(file));
        server.answers("PUT", "/api/models/org/m/uploads",
                new Answer(201, "{\"digest\": \"sha256:" + sha + "\", \"size\": 5000}"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String details(String head, String otherFile) {
        return "{\"id\": \"org/m\", \"private\": false, \"sha\": \"" + head + "\", \"branches\": {\"main\": \""
                + head + "\"}, \"tags\": {}, \"files\": [{\"path\": \"" + otherFile + "\", \"size\": 1, "
                + "\"digest\": \"sha256:" + "d".repeat(64) + "\"}], \"architecture\": null, \"ggufs\": []}";
    }

    /** The hub's answer to the commit: the new commit {@code NEW}. */
    private static String committed() {
        return ApiJson.writeString(new Committed(NEW, H2, "main", "u", "Push 1 file with quanthub", Instant.now(), 1,
                List.of()));
    }

    private Cli push(String... extra) {
        List<String> args = new ArrayList<>(List.of("push", file.getParent().toString(), "--repo", "org/m",
                "--hub", server.base(), "--token", "t", "--no-progress"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private List<String> commitParents() {
        return server.requests().stream().filter(r -> r.method().equals("POST"))
                .map(r -> commitBody(r.json()).parent()).toList();
    }

    private static CommitBody commitBody(String json) {
        try {
            return ApiJson.read(json, CommitBody.class, "commit");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMovedBranchIsCommittedAgainOnItsNewHead() {
        server.answers("GET", "/api/models/org/m?revision=main",
                new Answer(200, details(H1, "a.txt")), new Answer(200, details(H2, "b.txt")));
        server.answers("POST", "/api/models/org/m/commits/main",
                new Answer(409, "{\"error\": \"branch main moved\"}"), new Answer(201, committed()));
        Cli push = push();
        assertEquals(0, push.exit(), push.err());
        assertEquals("pushed org/m@main: commit " + NEW + "\n"
                + "  1 file changed; 1 uploaded (4.88 KiB), 0 already on the hub\n", push.out());
        assertTrue(push.err().contains("the branch moved (branch main moved (HTTP 409)); committing again on the new"
                + " head"), push.err());
        assertEquals(List.of(H1, H2), commitParents());
        // The commit names the file with its digest and size.
        CommitBody commit = commitBody(server.requests().stream().filter(r -> r.method().equals("POST")).toList()
                .getLast().json());
        CommitBody.FileRef entry = commit.files().get("model.gguf");
        assertEquals("sha256:" + sha, entry.digest().toString());
        assertEquals(5000, entry.size());
    }

    @Test
    void aBranchThatKeepsMovingGivesUpAfterBoundedAttempts() {
        server.answers("GET", "/api/models/org/m?revision=main", new Answer(200, details(H1, "a.txt")));
        server.answers("POST", "/api/models/org/m/commits/main", new Answer(409, "{\"error\": \"branch main moved\"}"));
        Cli push = push();
        assertEquals(1, push.exit());
        assertTrue(push.err().endsWith("quanthub: commit to org/m@main conflicted " + PushCommand.MAX_COMMIT_ATTEMPTS
                + " times with other pushes: branch main moved (HTTP 409)\n"), push.err());
        assertEquals(PushCommand.MAX_COMMIT_ATTEMPTS, commitParents().size());
    }

    @Test
    void filesTheHubHasAreNotUploadedAgain() {
        String has = "{\"id\": \"org/m\", \"private\": false, \"sha\": \"" + H1 + "\", \"branches\": {}, \"tags\": {},"
                + " \"files\": [{\"path\": \"old-name.gguf\", \"size\": 5000, \"digest\": \"sha256:" + sha + "\"}]}";
        server.answers("GET", "/api/models/org/m?revision=main", new Answer(200, has));
        server.answers("POST", "/api/models/org/m/commits/main", new Answer(201, committed()));
        Cli push = push();
        assertEquals(0, push.exit(), push.err());
        assertTrue(push.out().contains("1 file changed; 0 uploaded (0 B), 1 already on the hub"), push.out());
        assertTrue(server.requests().stream().noneMatch(r -> r.method().equals("PUT")));
    }

    @Test
    void aMissingRepositoryNeedsCreate() {
        server.json("/api/models/org/m?revision=main", 404, "{\"error\": \"repository org/m not found\"}");
        server.json("/api/models/org/m", 404, "{\"error\": \"repository org/m not found\"}");
        Cli push = push();
        assertEquals(1, push.exit());
        assertEquals("quanthub: org/m does not exist on " + server.base() + "; add --create to create it\n",
                push.err());
        assertTrue(server.requests().stream().noneMatch(r -> r.method().equals("PUT")), "uploaded anyway");
    }

    @Test
    void collectSkipsGitDirectoriesAndUsesSlashes() throws IOException {
        Path root = dir.resolve("tree");
        Files.createDirectories(root.resolve(".git/objects"));
        Files.writeString(root.resolve(".git/objects/x"), "x");
        Files.createDirectories(root.resolve("text_encoder"));
        Files.writeString(root.resolve("text_encoder/model.safetensors"), "t");
        Files.writeString(root.resolve("a.gguf"), "a");
        assertEquals(List.of("a.gguf", "text_encoder/model.safetensors"),
                PushCommand.collect(root, false).stream().map(PushCommand.LocalFile::path).toList());
        Cli missing = Cli.run("push", dir.resolve("nope").toString(), "--repo", "org/m", "--hub", server.base());
        assertEquals("quanthub: no such file or directory: " + dir.resolve("nope") + "\n", missing.err());
    }
}
