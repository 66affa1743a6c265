package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.collection.IQueue;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.quanthub.inference.preview.PreviewJob;
import io.quanthub.inference.preview.PreviewRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import quanthub.attack.ForeignEntryProcessor;

/**
 * Issue 10, item 5: what a stranger who reaches the cluster port reads there. A real Hazelcast client (cluster name
 * {@code quanthub}, no member of ours) connects to a hub that has converted and rendered, reads every entry of every
 * distributed object, and must find neither the S3 credentials nor the admin token, in any form (the values'
 * serialized bytes, not only their {@code toString}, which may hide a field). Before the fix the hub published its
 * bucket's keys in the map {@code quanthub.settings}, and with them anyone could write an admin token record. And
 * what such a client writes there (it can: members do not authenticate) must not make the hub serve a blob it names.
 */
class ClusterPortTest extends HubTestSupport {
    @BeforeAll
    static void startClusteredHubThatConvertsAndRenders() throws Exception {
        hub.close();
        hub = PreviewDemo.startHub(config(dataDir.resolve("clustered")));
        admin = Files.readString(hub.adminTokenFile()).strip();
        PreviewDemo.push(hub, admin, dataDir.resolve("demo"));
    }

    @Test
    void aHazelcastClientFindsNoCredentialsOrTokensInClusterState() throws Exception {
        // Records of both kinds in the cluster: a conversion and a preview, run to the end.
        Response conversion = postJson("/api/models/" + PreviewDemo.REPO + "/quants/Q4_0", Map.of(), admin);
        assertTrue(conversion.status() == 202 || conversion.status() == 200, conversion.text());
        awaitFinished("/api/jobs/" + conversion.json().get("id").asText());
        Response preview = postJson("/api/models/" + PreviewDemo.REPO + "/quants/Q8_0/previews",
                Map.of("seed", 1, "steps", 1, "width", 32, "height", 32, "conditioning", "random-a"), admin);
        assertTrue(preview.status() == 202 || preview.status() == 200, preview.text());
        awaitFinished("/api/previews/" + preview.json().get("id").asText());

        HazelcastInstance client = HazelcastClient.newHazelcastClient(clientConfig());
        try {
            List<String> read = new ArrayList<>();
            StringBuilder everything = new StringBuilder();
            for (DistributedObject object : client.getDistributedObjects()) {
                read.add(object.getName());
                everything.append(object.getServiceName()).append(' ').append(object.getName()).append('\n');
                if (object instanceof IMap<?, ?> map) {
                    for (Map.Entry<?, ?> entry : client.getMap(map.getName()).entrySet()) {
                        everything.append(text(entry.getKey())).append('=').append(text(entry.getValue()))
                                .append('\n');
                    }
                } else if (object instanceof IQueue<?> queue) {
                    for (Object item : client.getQueue(queue.getName())) everything.append(text(item)).append('\n');
                } else {
                    everything.append("(not read: ").append(object.getClass().getSimpleName()).append(")\n");
                }
            }
            assertTrue(read.contains("quanthub.jobs") && read.contains("quanthub.previews"),
                    "the client reads the job records: " + read);
            assertTrue(everything.indexOf("Q4_0") >= 0, "the conversion's record was read:\n" + everything);
            String all = everything.toString();
            for (Map.Entry<String, String> secret : Map.of("the S3 access key", bucket.accessKey(),
                    "the S3 secret key", bucket.secretKey(), "the admin token", admin).entrySet()) {
                assertFalse(all.contains(secret.getValue()), secret.getKey() + " is readable through the cluster "
                        + "port:\n" + all);
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aPreviewRecordForgedThroughTheClusterPortDoesNotMakeTheHubServeAPrivateBlob() throws Exception {
        createRepo("alice/secret", true);
        byte[] secret = "the private weights of alice".getBytes(StandardCharsets.UTF_8);
        commitFiles("alice/secret", "main", Map.of("weights.bin", secret));
        String digest = io.quanthub.storage.Digest.of(secret).toString();
        PreviewRequest request = new PreviewRequest(PreviewDemo.REPO, "0".repeat(64), "Q8_0", digest, null, digest,
                "random-a", digest, 0, 1, 16, 16);
        String id = "preview-" + "ab".repeat(12);
        Instant now = Instant.now();
        PreviewJob forged = new PreviewJob(id, request, PreviewJob.State.DONE, 1, null, "127.0.0.1:1", null,
                new PreviewJob.Result(digest, digest, 99.0, 1.0, List.of(1L), 1, 1, "127.0.0.1:1"), null, now, now,
                PreviewJob.Ticket.NONE);

        HazelcastInstance client = HazelcastClient.newHazelcastClient(clientConfig());
        try {
            client.getMap("quanthub.previews").put(id, forged);
        } finally {
            client.shutdown();
        }

        assertEquals("done", get("/api/previews/" + id, null).json().get("state").asText(), "the record is read");
        for (String what : List.of("image", "heatmap")) {
            Response r = get("/api/previews/" + id + "/" + what, null);
            assertEquals(404, r.status(), what + ": " + r.text());
            assertFalse(r.text().contains("private weights"), r.text());
        }
    }

    @Test
    void membersRefuseToDeserializeClassesOutsideQuantHubAndTheJdk() {
        HazelcastInstance client = HazelcastClient.newHazelcastClient(clientConfig());
        try {
            RuntimeException refused = assertThrows(RuntimeException.class, () -> client.getMap("quanthub.previews")
                    .executeOnKey("preview-" + "cd".repeat(12), new ForeignEntryProcessor()));
            assertTrue(String.valueOf(refused.getMessage()).contains("is not allowed"), refused.toString());
            assertFalse(ForeignEntryProcessor.RAN.get(), "a member ran a class it should not have deserialized");
        } finally {
            client.shutdown();
        }
    }

    private static ClientConfig clientConfig() {
        ClientConfig config = new ClientConfig().setClusterName(ConverterMember.CLUSTER_NAME)
                .setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().addAddress(hub.clusterAddress().orElseThrow());
        return config;
    }

    /** Everything a value holds: its text and its Java-serialized bytes (which hold fields toString hides). */
    private static String text(Object value) throws IOException {
        if (!(value instanceof Serializable)) return String.valueOf(value);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return value + " " + bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static void awaitFinished(String path) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3)); // a hang guard, not a timing assertion
        String state;
        do {
            state = get(path, admin).json().get("state").asText();
            if (state.equals("done") || state.equals("failed")) {
                assertEquals("done", state, get(path, admin).text());
                return;
            }
            Thread.sleep(100);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError(path + " did not finish: " + state);
    }
}
