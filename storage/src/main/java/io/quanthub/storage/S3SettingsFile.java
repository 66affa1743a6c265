package io.quanthub.storage;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A bucket's settings in a file, for members that must not get them from anywhere else (the cluster carries no
 * secrets): {@code quanthub serve} writes its embedded S3 server's settings to {@code <data>/s3.properties}
 * ({@code rw-------}), and {@code quanthub converter} and {@code inference-node} read such a file with
 * {@code --s3-config}. The keys are the {@code QUANTHUB_S3_*} variable names, so a file, the environment and a
 * Kubernetes Secret mounted as environment all say the same thing:
 *
 * <pre>
 * QUANTHUB_S3_ENDPOINT=http://127.0.0.1:41234
 * QUANTHUB_S3_REGION=us-east-1
 * QUANTHUB_S3_BUCKET=quanthub
 * QUANTHUB_S3_ACCESS_KEY=...
 * QUANTHUB_S3_SECRET_KEY=...
 * </pre>
 */
public final class S3SettingsFile {
    /** The file name {@code quanthub serve} uses in its data folder. */
    public static final String FILE_NAME = "s3.properties";

    private S3SettingsFile() {
    }

    /** Writes {@code settings} to {@code file}, readable by the owner only (replacing what was there). */
    public static void write(Path file, S3Settings settings) {
        StringBuilder text = new StringBuilder("# S3 settings of a QuantHub bucket: pass to 'quanthub converter' and "
                + "'quanthub inference-node' with --s3-config\n");
        entries(settings).forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        try {
            OwnerOnlyFile.write(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the S3 settings to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The {@code QUANTHUB_S3_*} entries of {@code file} (other keys are refused, so a typo does not pass silently).
     *
     * @throws IllegalArgumentException one line naming the file when it is missing, unreadable or has unknown keys
     */
    public static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("S3 settings file " + file + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read the S3 settings file " + file + ": " + e.getMessage());
        }
        Map<String, String> entries = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (!entries(null).containsKey(key)) {
                throw new IllegalArgumentException("S3 settings file " + file + " has an unknown key '" + key
                        + "' (expected " + String.join(", ", entries(null).keySet()) + ")");
            }
            entries.put(key, properties.getProperty(key).strip());
        }
        return entries;
    }

    /** The variables of {@code settings} (or, for null, the known keys with empty values). */
    private static Map<String, String> entries(S3Settings settings) {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("QUANTHUB_S3_ENDPOINT", settings == null ? "" : settings.endpoint().toString());
        entries.put("QUANTHUB_S3_REGION", settings == null ? "" : settings.region());
        entries.put("QUANTHUB_S3_BUCKET", settings == null ? "" : settings.bucket());
        entries.put("QUANTHUB_S3_ACCESS_KEY", settings == null ? "" : settings.accessKey());
        entries.put("QUANTHUB_S3_SECRET_KEY", settings == null ? "" : settings.secretKey());
        return entries;
    }
}
