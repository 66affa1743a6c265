package io.quanthub.hub;

import io.quanthub.storage.HubStorage;
import io.quanthub.storage.S3Settings;
import io.quanthub.storage.StagedUploads;
import io.quanthub.storage.StorageOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A hub in a process of its own, for tests that kill it: {@code HubProcess DATA_DIR} serves on a free port with the
 * bucket from {@code QUANTHUB_S3_*}, 5 MiB parts and 2-second upload leases, and (as a converter member would)
 * opens a staged upload and sends its first part. Prints {@code staged <key>} and {@code listening on <url>}, then
 * serves until killed.
 */
public final class HubProcess {
    static final StorageOptions OPTIONS = StorageOptions.defaults().withPartSize(StorageOptions.MIN_PART_SIZE)
            .withLeaseTtl(Duration.ofSeconds(2));

    private HubProcess() {
    }

    public static void main(String[] args) throws Exception {
        S3Settings settings = S3Settings.fromEnvironment().orElseThrow();
        HubServer hub = HubServer.start(HubConfig.defaults(Path.of(args[0])).withPort(0).withS3(settings)
                .withStorage(OPTIONS).withGc(Duration.ZERO, Duration.ZERO));
        HubStorage converter = HubStorage.open(settings, OPTIONS);
        StagedUploads.Upload upload = converter.staged().start();
        converter.staged().uploadPart(upload, 1, new byte[StorageOptions.MIN_PART_SIZE]);
        System.out.println("staged " + upload.key());
        System.out.println("listening on " + hub.url());
        System.out.flush();
        hub.awaitClosed();
    }
}
