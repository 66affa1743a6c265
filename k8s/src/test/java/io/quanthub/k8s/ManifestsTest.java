package io.quanthub.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The manifests in k8s/manifests: parsed by fabric8 into typed objects, checked for consistency (selectors, ports,
 * references) and against what the project builds (image tag, entrypoint, command lines, environment, metrics).
 * Broken copies show that each check reports what it is for.
 */
class ManifestsTest {
    static final Path K8S = Path.of(System.getProperty("quanthub.k8s.dir", "."));
    static final Path MANIFESTS = K8S.resolve("manifests");
    static Project project;

    @BeforeAll
    static void readProject() throws IOException {
        project = Project.read(K8S.toAbsolutePath().getParent(), System.getProperty("quanthub.version"));
    }

    @Test
    void manifestsAreConsistentAndRunWhatTheProjectBuilds() throws IOException {
        Manifests manifests = Manifests.load(MANIFESTS);
        assertEquals(14, manifests.objects().size(), manifests.objects().stream().map(Manifests::describe).toList()
                .toString());
        assertEquals(List.of(), ManifestChecker.check(manifests, project));
    }

    @Test
    void kustomizationListsEveryManifest() throws IOException {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(MANIFESTS)) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                    .filter(n -> !n.equals("kustomization.yaml")).forEach(files::add);
        }
        assertEquals(files, new TreeSet<>(Manifests.load(MANIFESTS).files()));
    }

    /** The image the README and the Dockerfile tell you to build is the one the manifests run. */
    @Test
    void buildInstructionsTagTheImageTheManifestsRun() throws IOException {
        Pattern tagged = Pattern.compile(Pattern.quote(Project.IMAGE_NAME) + ":[A-Za-z0-9._-]+");
        for (String file : List.of("README.md", "Dockerfile")) {
            Matcher m = tagged.matcher(Files.readString(K8S.resolve(file)));
            int found = 0;
            while (m.find()) {
                assertTrue(List.of(project.image(), project.tornadoImage()).contains(m.group()), file + ": " + m.group());
                found++;
            }
            assertTrue(found > 0, file + " names no " + Project.IMAGE_NAME + " image");
        }
    }

    /**
     * The image's entrypoint is the repository's launcher, copied with the jar, libraries and build stamp it looks
     * for (paths read from the launcher), so it runs the CLI without rebuilding.
     */
    @Test
    void imageRunsTheLauncherWithWhatItLoads() throws IOException {
        String launcher = Files.readString(K8S.toAbsolutePath().getParent().resolve("quanthub"));
        Set<String> needed = new TreeSet<>(Set.of("quanthub"));
        Matcher paths = Pattern.compile("\\$ROOT/(cli-client/target/[A-Za-z0-9_./-]+?)(?:/\\*)?[\":]").matcher(launcher);
        while (paths.find()) needed.add(paths.group(1));
        assertTrue(needed.size() >= 4, "launcher paths not found: " + needed); // jar, lib, stamp, launcher

        String workdir = null;
        Map<String, String> copied = new HashMap<>(); // path in the repository -> absolute path in the image
        for (String line : Files.readString(K8S.resolve("Dockerfile")).lines().toList()) {
            Matcher w = Pattern.compile("^WORKDIR\\s+(\\S+)").matcher(line);
            if (w.find()) workdir = w.group(1);
            Matcher c = Pattern.compile("^COPY --from=build /src/(\\S+) \\./(\\S+)$").matcher(line);
            if (c.find() && c.group(1).equals(c.group(2))) copied.put(c.group(1), workdir + "/" + c.group(2));
        }
        assertTrue(copied.keySet().containsAll(needed), "the image lacks " + needed + ", has " + copied.keySet());
        assertEquals(copied.get("quanthub"), project.entrypoint());
    }

    /** What the deployment is for: the requirements, object by object. */
    @Test
    void objectsDoWhatTheDeploymentNeeds() throws IOException {
        Manifests m = Manifests.load(MANIFESTS);

        Deployment hub = m.find(Deployment.class, "quanthub-hub").orElseThrow();
        Container hubContainer = hub.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertEquals("/ready", hubContainer.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/health", hubContainer.getLivenessProbe().getHttpGet().getPath());
        assertEquals("serve", hubContainer.getArgs().getFirst());

        Ingress ingress = m.find(Ingress.class, "quanthub").orElseThrow();
        Map<String, String> annotations = ingress.getMetadata().getAnnotations();
        assertEquals("off", annotations.get("nginx.ingress.kubernetes.io/proxy-buffering"), "SSE needs no buffering");
        assertTrue(Integer.parseInt(annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout")) >= 3600);
        assertTrue(nginxSize(annotations.get("nginx.ingress.kubernetes.io/proxy-body-size"))
                >= binarySize(option(hubContainer, "--max-upload")), "the ingress takes uploads as large as the hub");

        StatefulSet converter = m.find(StatefulSet.class, "quanthub-converter").orElseThrow();
        Service cluster = m.find(Service.class, converter.getSpec().getServiceName()).orElseThrow();
        assertTrue(cluster.getSpec().getPublishNotReadyAddresses(), "members find each other before they are ready");
        assertEquals(5701, cluster.getSpec().getPorts().getFirst().getPort());
        assertEquals("hazelcast", cluster.getSpec().getPorts().getFirst().getName());
        assertTrue(converter.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() >= 300);
        Container converterContainer = converter.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertNotNull(converterContainer.getLifecycle().getPreStop());
        assertEquals("converter", converterContainer.getArgs().getFirst());

        PodDisruptionBudget budget = m.find(PodDisruptionBudget.class, "quanthub-converter").orElseThrow();
        assertEquals(new IntOrString(1), budget.getSpec().getMaxUnavailable());
        assertTrue(ManifestChecker.matches(budget.getSpec().getSelector(),
                converter.getSpec().getTemplate().getMetadata().getLabels()));

        HorizontalPodAutoscaler hpa = m.find(HorizontalPodAutoscaler.class, "quanthub-converter").orElseThrow();
        assertEquals("StatefulSet", hpa.getSpec().getScaleTargetRef().getKind());
        MetricSpec queue = hpa.getSpec().getMetrics().getFirst();
        assertEquals("quanthub_jobs", queue.getExternal().getMetric().getName());
        assertEquals(Map.of("state", "queued"), queue.getExternal().getMetric().getSelector().getMatchLabels());

        Deployment inference = m.find(Deployment.class, "quanthub-inference").orElseThrow();
        Container inferenceContainer = inference.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertEquals("inference-node", inferenceContainer.getArgs().getFirst());
        assertTrue(hubContainer.getArgs().contains("--no-inference"), "the hub leaves previews to the nodes");
        // The CPU engine renders on every core it gets: more than the hub or a converter member asks for.
        assertTrue(inferenceContainer.getResources().getRequests().get("cpu").getNumericalAmount().intValue() >= 4);
        // The GPU variant: TornadoVM on one GPU, read back through the command line as the node parses it.
        Deployment gpu = m.find(Deployment.class, "quanthub-inference-gpu").orElseThrow();
        Container gpuContainer = gpu.getSpec().getTemplate().getSpec().getContainers().getFirst();
        CommandLine.ParseResult gpuNode = project.commandLine().parseArgs(gpuContainer.getArgs().toArray(String[]::new))
                .subcommand();
        assertEquals("inference-node", gpuNode.commandSpec().name());
        assertEquals("tornado", gpuNode.matchedOption("--backend").getValue());
        assertEquals(new Quantity("1"), gpuContainer.getResources().getLimits().get(ManifestChecker.GPU));
        assertEquals(project.tornadoImage(), gpuContainer.getImage());
        assertTrue(inferenceContainer.getResources().getLimits().get(ManifestChecker.GPU) == null,
                "the CPU nodes ask for no GPU");
        for (Container member : List.of(converterContainer, inferenceContainer, gpuContainer)) {
            assertEquals("/ready", member.getReadinessProbe().getHttpGet().getPath());
            assertEquals("/health", member.getLivenessProbe().getHttpGet().getPath());
        }

        // Every workload takes the bucket from the Secret.
        Secret s3 = m.find(Secret.class, "quanthub-s3").orElseThrow();
        for (Manifests.Workload w : m.workloads()) {
            for (String variable : List.of("QUANTHUB_S3_ENDPOINT", "QUANTHUB_S3_REGION", "QUANTHUB_S3_BUCKET",
                    "QUANTHUB_S3_ACCESS_KEY", "QUANTHUB_S3_SECRET_KEY")) {
                EnvVar env = w.template().getSpec().getContainers().getFirst().getEnv().stream()
                        .filter(e -> e.getName().equals(variable)).findFirst().orElseThrow(() ->
                                new AssertionError(w.describe() + " does not set " + variable));
                assertEquals(s3.getMetadata().getName(), env.getValueFrom().getSecretKeyRef().getName());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCopies")
    void brokenCopiesAreReported(Consumer<Manifests> breakIt, String expected) throws IOException {
        Manifests manifests = Manifests.load(MANIFESTS);
        breakIt.accept(manifests);
        List<String> problems = ManifestChecker.check(manifests, project);
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)),
                "expected a problem containing '" + expected + "', got " + problems);
    }

    static Stream<Arguments> brokenCopies() {
        List<Arguments> cases = new ArrayList<>();
        add(cases, "Service selector with a typo", m -> service(m, "quanthub-hub").getSpec()
                        .setSelector(Map.of("app.kubernetes.io/name", "quanthub", "app.kubernetes.io/component", "hubb")),
                "Service/quanthub-hub: selector {");
        add(cases, "Deployment selector that misses its template", m -> deployment(m, "quanthub-inference").getSpec()
                        .getSelector().setMatchLabels(Map.of("app.kubernetes.io/component", "gpu")),
                "Deployment/quanthub-inference: selector");
        add(cases, "Service targetPort nobody declares", m -> service(m, "quanthub-hub").getSpec().getPorts()
                .getFirst().setTargetPort(new IntOrString("htp")), "targets htp");
        add(cases, "probe on an undeclared port", m -> hub(m).getReadinessProbe().getHttpGet()
                .setPort(new IntOrString("admin")), "probes port admin");
        add(cases, "secretKeyRef to a missing key", m -> secret(m, "quanthub-s3").getStringData().remove("secret-key"),
                "refers to key secret-key");
        add(cases, "secret volume of a missing Secret", m -> m.objects().remove(secret(m, "quanthub-admin-token")),
                "refers to Secret/quanthub-admin-token, which is not defined");
        add(cases, "StatefulSet governed by a Service that is not headless", m -> service(m, "quanthub-cluster")
                .getSpec().setClusterIP(null), "is not a headless Service");
        add(cases, "PodDisruptionBudget selecting nothing", m -> m.find(PodDisruptionBudget.class, "quanthub-converter")
                        .orElseThrow().getSpec().getSelector().setMatchLabels(Map.of("app.kubernetes.io/component", "x")),
                "PodDisruptionBudget/quanthub-converter: selector");
        add(cases, "HPA scaling a StatefulSet that does not exist", m -> hpa(m).getSpec().getScaleTargetRef()
                .setName("quanthub-converters"), "scales StatefulSet/quanthub-converters");
        add(cases, "HPA on a metric nobody exports", m -> hpa(m).getSpec().getMetrics().getFirst().getExternal()
                .getMetric().setName("quanthub_queue_depth"), "metric quanthub_queue_depth");
        add(cases, "Ingress backend port that the Service lacks", m -> m.find(Ingress.class, "quanthub").orElseThrow()
                .getSpec().getRules().getFirst().getHttp().getPaths().getFirst().getBackend().getService().getPort()
                .setName("web"), "backend port web");
        add(cases, "Ingress backend Service that does not exist", m -> m.find(Ingress.class, "quanthub").orElseThrow()
                .getSpec().getRules().getFirst().getHttp().getPaths().getFirst().getBackend().getService()
                .setName("hub"), "backend Service hub");
        add(cases, "image tag other than the project version", m -> hub(m).setImage("quanthub/quanthub:0.0.9"),
                "runs image quanthub/quanthub:0.0.9");
        add(cases, "command that bypasses the image's entrypoint", m -> hub(m).setCommand(List.of("java", "-jar")),
                "is not the image's entrypoint");
        add(cases, "option the command does not have", m -> hub(m).getArgs().add("--no-such-option"),
                "are not a quanthub command line");
        add(cases, "subcommand that does not exist", m -> hub(m).getArgs().set(0, "server"),
                "are not a quanthub command line");
        add(cases, "environment variable QuantHub does not read", m -> hub(m).getEnv().stream()
                        .filter(e -> e.getName().equals("QUANTHUB_S3_ENDPOINT")).findFirst().orElseThrow()
                        .setName("QUANTHUB_S3_ENDPIONT"),
                "sets QUANTHUB_S3_ENDPIONT, which QuantHub does not read");
        add(cases, "argument referring to an undefined variable", m -> hub(m).getArgs()
                .replaceAll(a -> a.replace("$(POD_IP)", "$(POD_ADDRESS)")), "refers to $(POD_ADDRESS)");
        add(cases, "cluster join through a Service that does not exist", m -> hub(m).getArgs()
                .replaceAll(a -> a.replace("dns:quanthub-cluster.", "dns:quanthub-members.")), "quanthub-members is not a headless");
        add(cases, "GPU asked for by a CPU node", m -> inference(m).getResources().getLimits()
                .put(ManifestChecker.GPU, new Quantity("1")), "would sit idle");
        add(cases, "GPU only requested, not limited", m -> gpuNode(m).getResources().getRequests()
                .put(ManifestChecker.GPU, gpuNode(m).getResources().getLimits().remove(ManifestChecker.GPU)),
                "without a limit");
        add(cases, "tornado node without a GPU", m -> gpuNode(m).getResources().getLimits().remove(ManifestChecker.GPU),
                "but its limits ask for no nvidia.com/gpu");
        add(cases, "tornado node in the CPU image", m -> gpuNode(m).setImage(project.image()),
                "tornado needs quanthub/quanthub:");
        add(cases, "backend that does not exist", m -> gpuNode(m).getArgs()
                .replaceAll(a -> a.equals("--backend=tornado") ? "--backend=cuda" : a), "--backend cuda, which is not");
        add(cases, "inference node without a memory request", m -> inference(m).getResources().getRequests()
                .remove("memory"), "requests no memory");
        add(cases, "hub that renders previews itself", m -> hub(m).getArgs().remove("--no-inference"),
                "without --no-inference");
        add(cases, "model cache larger than its volume", m -> inference(m).getArgs()
                .replaceAll(a -> a.startsWith("--cache-size=") ? "--cache-size=60G" : a), "does not fit its volume");
        add(cases, "metrics served on another port than scraped", m -> inference(m).getArgs()
                .replaceAll(a -> a.startsWith("--metrics-port=") ? "--metrics-port=9091" : a),
                "serves /metrics on --metrics-port=9091");
        add(cases, "option that the inference node lacks", m -> inference(m).getArgs().add("--gpu=0"),
                "are not a quanthub command line");
        add(cases, "grace period shorter than the graceful shutdown", m -> m.find(StatefulSet.class, "quanthub-converter")
                .orElseThrow().getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(60L),
                "terminationGracePeriodSeconds is 60");
        add(cases, "mount of an undefined volume", m -> hub(m).getVolumeMounts().getFirst().setName("date"),
                "mounts undefined volume date");
        add(cases, "no NetworkPolicy on the cluster port", m -> m.objects().remove(clusterPolicy(m)),
                "listens on the cluster port 5701 but no NetworkPolicy limits who reaches it");
        add(cases, "cluster port open to anyone", m -> clusterPolicy(m).getSpec().getIngress().getFirst().getFrom()
                .clear(), "admits anyone to the cluster port of");
        add(cases, "cluster port open to another namespace", m -> clusterPolicy(m).getSpec().getIngress().getFirst()
                .getFrom().getFirst().setNamespaceSelector(new LabelSelector()), "admits pods other than QuantHub "
                + "cluster members");
        add(cases, "cluster port open to every pod of the namespace", m -> clusterPolicy(m).getSpec().getIngress()
                .getFirst().getFrom().getFirst().setPodSelector(new LabelSelector()), "admits pods other than QuantHub "
                + "cluster members");
        add(cases, "HTTP rule that also opens the cluster port", m -> clusterPolicy(m).getSpec().getIngress().get(1)
                .getPorts().clear(), "admits anyone to the cluster port of");
        add(cases, "misspelt field", m -> replaceDocuments(m, "converter.yaml",
                "publishNotReadyAddresses", "publishNotReadyAdresses"), "[publishNotReadyAdresses]");
        add(cases, "misspelt kind", m -> replaceDocuments(m, "hub.yaml",
                "kind: PodDisruptionBudget", "kind: PodDisruptionBudgets"), "is not a Kubernetes kind");
        return cases.stream();
    }

    private static NetworkPolicy clusterPolicy(Manifests m) {
        return m.find(NetworkPolicy.class, "quanthub-cluster-port").orElseThrow();
    }

    private static void add(List<Arguments> cases, String name, Consumer<Manifests> breakIt, String expected) {
        cases.add(Arguments.of(Named.of(name, breakIt), expected));
    }

    /** Replaces the objects parsed from {@code file} by those parsed from an edited copy of its text. */
    private static void replaceDocuments(Manifests m, String file, String text, String replacement) {
        try {
            String original = Files.readString(MANIFESTS.resolve(file));
            assertTrue(original.contains(text), file + " has no '" + text + "'");
            List<String> names = Manifests.parse(original).stream().map(Manifests::describe).toList();
            m.objects().removeIf(o -> names.contains(Manifests.describe(o)));
            m.objects().addAll(Manifests.parse(original.replace(text, replacement)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Container hub(Manifests m) {
        return deployment(m, "quanthub-hub").getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    private static Container inference(Manifests m) {
        return deployment(m, "quanthub-inference").getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    private static Container gpuNode(Manifests m) {
        return deployment(m, "quanthub-inference-gpu").getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    private static Deployment deployment(Manifests m, String name) {
        return m.find(Deployment.class, name).orElseThrow();
    }

    private static Service service(Manifests m, String name) {
        return m.find(Service.class, name).orElseThrow();
    }

    private static Secret secret(Manifests m, String name) {
        return m.find(Secret.class, name).orElseThrow();
    }

    private static HorizontalPodAutoscaler hpa(Manifests m) {
        return m.find(HorizontalPodAutoscaler.class, "quanthub-converter").orElseThrow();
    }

    /** The value of {@code --name=value} in a container's args. */
    private static String option(Container c, String name) {
        return c.getArgs().stream().filter(a -> a.startsWith(name + "=")).map(a -> a.substring(name.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }

    /** nginx sizes: a number with an optional k, m or g (binary units); 0 means no limit. */
    private static long nginxSize(String text) {
        long n = binarySize(text);
        return n == 0 ? Long.MAX_VALUE : n;
    }

    private static long binarySize(String text) {
        Map<Character, Integer> shifts = new HashMap<>(Map.of('K', 10, 'M', 20, 'G', 30, 'T', 40));
        String s = text.strip().toUpperCase();
        int shift = shifts.getOrDefault(s.charAt(s.length() - 1), 0);
        if (shift > 0) s = s.substring(0, s.length() - 1);
        return Long.parseLong(s) << shift;
    }
}
