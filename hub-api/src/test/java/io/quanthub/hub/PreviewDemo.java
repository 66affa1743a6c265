package io.quanthub.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.synthetic.FluxShape;
import io.quanthub.inference.preview.DemoModel;
import io.quanthub.inference.preview.DemoTextEncoders;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A hub that renders previews, holding the demo model (inference-node's {@link DemoModel}: a BF16 Flux-shaped
 * transformer, its VAE decoder and conditioning sets) with Q8_0 and Q2_K GGUFs made from it, all pushed over HTTP
 * as a user pushes them. The setup of the preview API test and of the web catalog's preview page test.
 */
public final class PreviewDemo {
    public static final String REPO = "demo/flux-demo";
    /** The levels pushed as GGUF files: a fine one and a coarse one, so their previews differ from the source. */
    public static final List<QuantLevel> LEVELS = List.of(QuantLevel.Q8_0, QuantLevel.Q2_K);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private PreviewDemo() {
    }

    /** Starts a hub on {@code config} with a cluster member on a free port, and so an inference node in-process. */
    public static HubServer startHub(HubConfig config) {
        return HubServer.start(config.withCluster(ClusterConfig.defaults().withPort(0)));
    }

    /**
     * Writes the demo model and its GGUFs into {@code dir}, creates {@link #REPO} (public) and commits them to main.
     *
     * @param token a token with the {@code write} scope
     */
    public static void push(HubServer hub, String token, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>(DemoModel.write(dir, 42));
        for (QuantLevel level : LEVELS) {
            Path gguf = dir.resolve("flux-demo-" + level + ".gguf");
            new Converter(2, false).convert(dir.resolve(DemoModel.MODEL_FILE), level, gguf,
                    Converter.ProgressListener.NONE);
            files.add(gguf.getFileName().toString());
        }
        createAndCommit(hub, token, REPO, dir, files);
    }

    /** A repository whose previews take prompts: a demo model sized for the shared tiny text encoders, and those. */
    public static final String PROMPT_REPO = "demo/flux-prompts";
    /** The demo transformer with the context and vector widths (64, 64) of the shared tiny T5 and CLIP-L. */
    static final FluxShape PROMPT_SHAPE = new FluxShape(256, 1, 2, 64, 64);

    /**
     * Writes {@link #PROMPT_REPO}: the demo model of {@link #PROMPT_SHAPE}, its Q8_0 GGUF and the shared tiny
     * text encoders as {@code text_encoders/clip_l.safetensors} and {@code text_encoders/t5xxl.gguf}, and commits them.
     */
    public static void pushWithTextEncoders(HubServer hub, String token, Path dir)
            throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("text_encoders"));
        List<String> files = new ArrayList<>(DemoModel.write(dir, 7, PROMPT_SHAPE));
        Path gguf = dir.resolve("flux-prompts-Q8_0.gguf");
        new Converter(2, false).convert(dir.resolve(DemoModel.MODEL_FILE), QuantLevel.Q8_0, gguf,
                Converter.ProgressListener.NONE);
        files.add(gguf.getFileName().toString());
        Path encoders = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"), "text-encoders-tiny");
        Files.copy(encoders.resolve("clip_l.safetensors"), dir.resolve("text_encoders/clip_l.safetensors"));
        Files.copy(encoders.resolve("t5.gguf"), dir.resolve("text_encoders/t5xxl.gguf"));
        files.addAll(List.of("text_encoders/clip_l.safetensors", "text_encoders/t5xxl.gguf"));
        createAndCommit(hub, token, PROMPT_REPO, dir, files);
    }

    /** The demo as {@code quanthub serve --demo} publishes it, prompts included: the model and its encoders' repo. */
    public static final String PROMPT_DEMO = "demo/flux-demo-prompts";
    public static final String DEMO_ENCODERS = "demo/flux-text-encoders";

    /**
     * Writes the demo model (its Q8_0 GGUF too) with {@code quanthub.json} naming random-weight text encoders
     * ({@link DemoTextEncoders}), commits the encoders as {@link #DEMO_ENCODERS} and the model as {@link #PROMPT_DEMO},
     * each with the demo's random-weights notice as its commit message.
     */
    public static void pushPromptDemo(HubServer hub, String token, Path dir) throws IOException, InterruptedException {
        Path encoders = Files.createDirectories(dir.resolve("text-encoders"));
        createAndCommit(hub, token, DEMO_ENCODERS, encoders, DemoTextEncoders.write(encoders, 5, DemoModel.SHAPE),
                DemoModel.RANDOM_WEIGHTS);
        List<String> files = new ArrayList<>(DemoModel.write(dir, 42));
        Path gguf = dir.resolve("flux-demo-Q8_0.gguf");
        if (!Files.exists(gguf)) {
            new Converter(2, false).convert(dir.resolve(DemoModel.MODEL_FILE), QuantLevel.Q8_0, gguf,
                    Converter.ProgressListener.NONE);
        }
        files.add(gguf.getFileName().toString());
        Files.writeString(dir.resolve("quanthub.json"), DemoTextEncoders.quanthubJson(DEMO_ENCODERS));
        files.add("quanthub.json");
        createAndCommit(hub, token, PROMPT_DEMO, dir, files, DemoModel.RANDOM_WEIGHTS);
    }

    /** Creates a public repository and commits {@code files} (paths relative to {@code dir}) to its main branch. */
    public static void createAndCommit(HubServer hub, String token, String repo, Path dir, List<String> files)
            throws IOException, InterruptedException {
        createAndCommit(hub, token, repo, dir, files, "Add " + files);
    }

    /** {@link #createAndCommit(HubServer, String, String, Path, List)} with a commit message. */
    public static void createAndCommit(HubServer hub, String token, String repo, Path dir, List<String> files,
                                       String message) throws IOException, InterruptedException {
        send(hub, token, "POST", "/api/repos", json(Map.of("name", repo, "private", false)));
        Map<String, Object> entries = new TreeMap<>();
        for (String file : files) {
            JsonNode uploaded = send(hub, token, "PUT", "/api/models/" + repo + "/uploads",
                    HttpRequest.BodyPublishers.ofFile(dir.resolve(file)), "application/octet-stream");
            entries.put(file, Map.of("digest", uploaded.get("digest").asText(), "size", uploaded.get("size").asLong()));
        }
        send(hub, token, "POST", "/api/models/" + repo + "/commits/main",
                json(Map.of("message", message, "files", entries)));
    }

    private static HttpRequest.BodyPublisher json(Object body) throws IOException {
        return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    }

    /** A JSON request; the answer must be 201 Created. */
    private static JsonNode send(HubServer hub, String token, String method, String path,
                                 HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        return send(hub, token, method, path, body, "application/json");
    }

    private static JsonNode send(HubServer hub, String token, String method, String path,
                                 HttpRequest.BodyPublisher body, String contentType)
            throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(hub.url().resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", contentType)
                .method(method, body).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), method + " " + path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
