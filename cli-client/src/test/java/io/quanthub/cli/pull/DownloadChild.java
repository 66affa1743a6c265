package io.quanthub.cli.pull;

import io.quanthub.cli.hub.HubClient;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The download a resume test kills: {@code DownloadChild URL BLOB PART_SIZE CONNECTIONS} downloads one file with
 * the real {@link Downloader}, in a JVM of its own so that it can be killed like a user's process (kill -9).
 */
public final class DownloadChild {
    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        Path blob = Path.of(args[1]);
        Downloader.Settings settings = new Downloader.Settings(Integer.parseInt(args[3]), Long.parseLong(args[2]),
                Duration.ofSeconds(30), 3, Duration.ofMillis(100));
        Downloader downloader = new Downloader(HubClient.newHttpClient(), null, settings);
        downloader.download(downloader.head(uri), blob, Downloader.Listener.NONE);
        System.out.println("downloaded " + blob);
    }
}
