package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings file members read with {@code --s3-config}: owner-only, the variables' names, nothing else. */
class S3SettingsFileTest {
    @TempDir
    Path dir;

    @Test
    void writtenOwnerOnlyAndReadBackAsTheSameSettings() throws Exception {
        S3Settings settings = new S3Settings(URI.create("http://127.0.0.1:9000"), "eu-west-1", "models", "ak", "s/k=");
        Path file = dir.resolve("data").resolve(S3SettingsFile.FILE_NAME);

        S3SettingsFile.write(file, settings);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(settings, S3Settings.fromEnvironment(S3SettingsFile.read(file)).orElseThrow());
        try (var left = Files.list(file.getParent())) {
            assertEquals(1, left.count(), "no temporary file left beside it");
        }
    }

    @Test
    void unknownKeysAndMissingFilesAreOneLineErrors() throws Exception {
        Path typo = dir.resolve("typo.properties");
        Files.writeString(typo, "QUANTHUB_S3_ENDPIONT=http://127.0.0.1:9000\n");
        assertEquals("S3 settings file " + typo + " has an unknown key 'QUANTHUB_S3_ENDPIONT' (expected "
                        + "QUANTHUB_S3_ENDPOINT, QUANTHUB_S3_REGION, QUANTHUB_S3_BUCKET, QUANTHUB_S3_ACCESS_KEY, "
                        + "QUANTHUB_S3_SECRET_KEY)",
                assertThrows(IllegalArgumentException.class, () -> S3SettingsFile.read(typo)).getMessage());
        Path missing = dir.resolve("missing.properties");
        assertEquals("S3 settings file " + missing + " does not exist",
                assertThrows(IllegalArgumentException.class, () -> S3SettingsFile.read(missing)).getMessage());
    }
}
