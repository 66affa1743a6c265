package io.quanthub.cli;

import io.quanthub.hub.HubConfig;
import io.quanthub.hub.HubServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real hub per test class ({@link HubServer} with its embedded S3, on a random loopback port), started in this
 * process, with its administrator's token: what the CLI's end-to-end tests run their commands against.
 */
abstract class InProcessHubTest {
    @TempDir
    static Path dir;
    static HubServer hub;
    /** The hub administrator's token, from {@code <data>/admin-token}. */
    static String admin;

    @BeforeAll
    static void startHub() throws IOException {
        hub = HubServer.start(HubConfig.defaults(dir.resolve("hub")).withPort(0));
        admin = Files.readString(hub.adminTokenFile()).strip();
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) hub.close();
    }
}
