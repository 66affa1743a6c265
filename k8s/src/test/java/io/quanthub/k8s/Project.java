package io.quanthub.k8s;

import io.quanthub.cli.QuantHubCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * What the project builds, as the manifests must use it, read from the project itself: the image name and tag (the
 * pom version), the image's entrypoint (k8s/Dockerfile), the environment variables the code and launcher read, and
 * the metric names the code registers.
 *
 * @param image       the image every container runs, {@code quanthub/quanthub:<version without -SNAPSHOT>}
 * @param entrypoint  the Dockerfile's ENTRYPOINT: a container's {@code command} is absent or equal to it
 * @param envRead     variables read by main sources ({@code "QUANTHUB_..."} literals) or by the launcher script
 * @param metrics     Prometheus names of the meters registered in main sources ({@code quanthub.jobs} ->
 *                    {@code quanthub_jobs})
 */
record Project(String image, String entrypoint, Set<String> envRead, Set<String> metrics) {
    static final String IMAGE_NAME = "quanthub/quanthub";

    private static final Pattern ENV_LITERAL = Pattern.compile("\"(QUANTHUB_[A-Z0-9_]+)\"");
    private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)");
    private static final Pattern METRIC_LITERAL = Pattern.compile("\"(quanthub[._][a-z0-9_.]+)\"");
    private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^ENTRYPOINT\\s+\\[\\s*\"([^\"]+)\"\\s*]");

    /** Reads the project at {@code root} (the repository root) whose pom version is {@code version}. */
    static Project read(Path root, String version) throws IOException {
        Set<String> env = new TreeSet<>();
        Set<String> metrics = new TreeSet<>();
        for (Path file : mainSources(root)) {
            String text = Files.readString(file);
            collect(ENV_LITERAL, text, env);
            Matcher m = METRIC_LITERAL.matcher(text);
            while (m.find()) metrics.add(m.group(1).replace('.', '_'));
        }
        collect(SHELL_VARIABLE, Files.readString(root.resolve("quanthub")), env);

        String dockerfile = Files.readString(root.resolve("k8s/Dockerfile"));
        Matcher entry = ENTRYPOINT.matcher(dockerfile);
        if (!entry.find()) throw new IllegalStateException("k8s/Dockerfile has no ENTRYPOINT [\"...\"]");
        return new Project(IMAGE_NAME + ":" + version.replace("-SNAPSHOT", ""), entry.group(1), env, metrics);
    }

    /** The image of the nodes that run the TornadoVM backend: {@code k8s/Dockerfile --target tornado}. */
    String tornadoImage() {
        return image + "-tornado";
    }

    /** The {@code quanthub} command line, as the container runs it. */
    CommandLine commandLine() {
        return QuantHubCli.commandLine();
    }

    /** The .java files under every module's src/main/java. */
    private static List<Path> mainSources(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> walk = Files.walk(sources)) {
                    walk.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
                }
            }
        }
        return files;
    }

    private static void collect(Pattern pattern, String text, Set<String> into) {
        Matcher m = pattern.matcher(text);
        while (m.find()) into.add(m.group(1));
    }
}
