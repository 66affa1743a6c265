package io.quanthub.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.quanthub.cluster.Discovery;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Checks that a set of manifests hangs together and runs what the project builds. Each problem is one line naming
 * the object and what is wrong; an empty list means none was found.
 */
final class ManifestChecker {
    static final String GPU = "nvidia.com/gpu";
    private static final Pattern VARIABLE_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Pattern GRACEFUL_WAIT = Pattern.compile("-Dhazelcast\\.graceful\\.shutdown\\.max\\.wait=(\\d+)");
    /** Kubernetes' default when a pod spec does not set terminationGracePeriodSeconds. */
    private static final long DEFAULT_GRACE_SECONDS = 30;

    private final Manifests manifests;
    private final Project project;
    private final List<String> problems = new ArrayList<>();

    private ManifestChecker(Manifests manifests, Project project) {
        this.manifests = manifests;
        this.project = project;
    }

    static List<String> check(Manifests manifests, Project project) {
        ManifestChecker checker = new ManifestChecker(manifests, project);
        checker.run();
        return List.copyOf(checker.problems);
    }

    private void run() {
        for (HasMetadata o : manifests.objects()) {
            if (o instanceof GenericKubernetesResource) {
                problem(o, "is not a Kubernetes kind fabric8 knows (" + o.getApiVersion() + ")");
            }
            unknownFields(o, Manifests.describe(o), o);
        }
        for (Manifests.Workload w : manifests.workloads()) workload(w);
        manifests.all(Service.class).forEach(this::service);
        manifests.all(StatefulSet.class).forEach(this::statefulSet);
        manifests.all(PodDisruptionBudget.class).forEach(this::disruptionBudget);
        manifests.all(HorizontalPodAutoscaler.class).forEach(this::autoscaler);
        manifests.all(Ingress.class).forEach(this::ingress);
        for (Manifests.Workload w : manifests.workloads()) clusterPort(w);
    }

    // ---- typed parse --------------------------------------------------------------------------------------------

    /** Fields fabric8 did not recognize land in additionalProperties maps: a typo'd field is silently ignored. */
    private void unknownFields(HasMetadata owner, String path, Object node) {
        if (node == null || !node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) return;
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) continue;
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field = path + "." + decapitalize(getter.getName().substring(3));
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty() && !(node instanceof GenericKubernetesResource)) {
                    problem(owner, "has fields Kubernetes does not define at " + path + ": " + extra.keySet());
                }
            } else if (value instanceof Collection<?> items) {
                int i = 0;
                for (Object item : items) unknownFields(owner, field + "[" + i++ + "]", item);
            } else if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) unknownFields(owner, field + "." + e.getKey(), e.getValue());
            } else {
                unknownFields(owner, field, value);
            }
        }
    }

    // ---- workloads and their containers -------------------------------------------------------------------------

    private void workload(Manifests.Workload w) {
        Map<String, String> labels = w.template().getMetadata() == null ? null : w.template().getMetadata().getLabels();
        if (w.selector() == null || isEmpty(w.selector())) {
            problem(w.owner(), "has no selector");
        } else if (!matches(w.selector(), labels)) {
            problem(w.owner(), "selector " + describe(w.selector()) + " does not match its pod template's labels "
                    + labels);
        }
        PodSpec pod = w.template().getSpec();
        Set<String> volumes = new LinkedHashSet<>();
        for (Volume v : pod.getVolumes()) {
            volumes.add(v.getName());
            if (v.getSecret() != null) {
                keys(w.owner(), "volume " + v.getName(), Secret.class, v.getSecret().getSecretName(),
                        v.getSecret().getItems());
            }
            if (v.getConfigMap() != null) {
                keys(w.owner(), "volume " + v.getName(), ConfigMap.class, v.getConfigMap().getName(),
                        v.getConfigMap().getItems());
            }
        }
        for (Container c : Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream()).toList()) {
            container(w, pod, c, volumes);
        }
    }

    private void container(Manifests.Workload w, PodSpec pod, Container c, Set<String> volumes) {
        String where = "container " + c.getName();
        if (!project.image().equals(c.getImage()) && !project.tornadoImage().equals(c.getImage())) {
            problem(w.owner(), where + " runs image " + c.getImage() + ", not " + project.image() + " or "
                    + project.tornadoImage() + " (the project version in pom.xml)");
        }
        if (!c.getCommand().isEmpty() && !c.getCommand().equals(List.of(project.entrypoint()))) {
            problem(w.owner(), where + " command " + c.getCommand() + " is not the image's entrypoint "
                    + project.entrypoint());
        }
        for (VolumeMount mount : c.getVolumeMounts()) {
            if (!volumes.contains(mount.getName())) problem(w.owner(), where + " mounts undefined volume " + mount.getName());
        }

        // Environment: references resolve, and every variable is read by QuantHub or used by another field.
        Map<String, String> samples = new LinkedHashMap<>();
        List<String> referenced = new ArrayList<>();
        for (EnvVar env : c.getEnv()) {
            for (String ref : references(env.getValue())) {
                if (!samples.containsKey(ref)) problem(w.owner(), where + " env " + env.getName()
                        + " refers to $(" + ref + "), which is not defined before it");
                referenced.add(ref);
            }
            samples.put(env.getName(), sampleValue(env));
            if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                var ref = env.getValueFrom().getSecretKeyRef();
                key(w.owner(), where + " env " + env.getName(), Secret.class, ref.getName(), ref.getKey());
            }
            if (env.getValueFrom() != null && env.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = env.getValueFrom().getConfigMapKeyRef();
                key(w.owner(), where + " env " + env.getName(), ConfigMap.class, ref.getName(), ref.getKey());
            }
        }
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getSecretRef() != null) exists(w.owner(), where + " envFrom", Secret.class, from.getSecretRef().getName());
            if (from.getConfigMapRef() != null) {
                exists(w.owner(), where + " envFrom", ConfigMap.class, from.getConfigMapRef().getName());
            }
        }
        List<String> args = new ArrayList<>();
        for (String arg : Stream.concat(c.getCommand().stream(), c.getArgs().stream()).toList()) {
            for (String ref : references(arg)) {
                if (!samples.containsKey(ref)) problem(w.owner(), where + " argument " + arg + " refers to $(" + ref
                        + "), which its env does not define");
                referenced.add(ref);
            }
        }
        for (String arg : c.getArgs()) args.add(substitute(arg, samples));
        for (EnvVar env : c.getEnv()) {
            if (!project.envRead().contains(env.getName()) && !referenced.contains(env.getName())) {
                problem(w.owner(), where + " sets " + env.getName() + ", which QuantHub does not read and no field "
                        + "refers to");
            }
        }
        commandLine(w, where, pod, c, args);
        probes(w, where, c);
        resources(w, where, pod, c);
    }

    /** Probes check ports the container declares (by name or number). */
    private void probes(Manifests.Workload w, String where, Container c) {
        Set<Object> ports = new LinkedHashSet<>();
        c.getPorts().forEach(p -> {
            ports.add(p.getContainerPort());
            if (p.getName() != null) ports.add(p.getName());
        });
        for (Probe probe : Stream.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())
                .filter(Objects::nonNull).toList()) {
            IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                    : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
            if (port != null && !ports.contains(value(port))) {
                problem(w.owner(), where + " probes port " + value(port) + ", which it does not declare");
            }
        }
    }

    /** CPU and memory requested (the scheduler places pods by them); time to shut down gracefully before the kill. */
    private void resources(Manifests.Workload w, String where, PodSpec pod, Container c) {
        Map<String, Quantity> requests = c.getResources() == null ? Map.of() : c.getResources().getRequests();
        for (String resource : List.of("cpu", "memory")) {
            if (!requests.containsKey(resource)) problem(w.owner(), where + " requests no " + resource);
        }
        for (EnvVar env : c.getEnv()) {
            Matcher wait = GRACEFUL_WAIT.matcher(Objects.requireNonNullElse(env.getValue(), ""));
            long grace = Objects.requireNonNullElse(pod.getTerminationGracePeriodSeconds(), DEFAULT_GRACE_SECONDS);
            if (wait.find() && Long.parseLong(wait.group(1)) >= grace) {
                problem(w.owner(), where + " waits up to " + wait.group(1) + " s for a graceful Hazelcast shutdown "
                        + "but terminationGracePeriodSeconds is " + grace);
            }
        }
    }

    /** The arguments must be a quanthub subcommand line, and each cluster address a Service of these manifests. */
    private void commandLine(Manifests.Workload w, String where, PodSpec pod, Container c, List<String> args) {
        CommandLine.ParseResult parsed;
        try {
            parsed = project.commandLine().parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            problem(w.owner(), where + " args " + args + " are not a quanthub command line: " + e.getMessage());
            return;
        }
        if (!parsed.hasSubcommand()) {
            problem(w.owner(), where + " args " + args + " name no quanthub subcommand");
            return;
        }
        CommandLine.ParseResult sub = parsed.subcommand();
        String command = sub.commandSpec().name();
        if (command.equals("serve") && !sub.hasMatchedOption("--no-inference") && manifests.workloads().stream()
                .anyMatch(other -> other != w && runs(other, "inference-node"))) {
            problem(w.owner(), where + " runs serve without --no-inference: the hub would render previews itself, "
                    + "though inference nodes are deployed for that");
        }
        if (sub.hasMatchedOption("--cache-size")) cacheFitsItsVolume(w, where, pod, c, sub);
        if (sub.commandSpec().findOption("--backend") != null) backend(w, where, c, sub);
        metricsPort(w, where, c, sub);
        if (sub.hasMatchedOption("--join")) {
            Object value = sub.matchedOption("--join").getValue();
            String join = value instanceof Collection<?> many
                    ? String.join(",", many.stream().map(String::valueOf).toList()) : String.valueOf(value);
            Discovery discovery;
            try {
                discovery = Discovery.parse(join);
            } catch (IllegalArgumentException e) {
                problem(w.owner(), where + " --join " + e.getMessage());
                return;
            }
            if (discovery instanceof Discovery.KubernetesDns dns) {
                String name = dns.serviceDns().split("\\.")[0];
                Optional<Service> service = manifests.find(Service.class, name);
                if (service.isEmpty() || !"None".equals(service.get().getSpec().getClusterIP())) {
                    problem(w.owner(), where + " joins through DNS name " + dns.serviceDns() + ", but " + name
                            + " is not a headless Service here");
                } else if (service.get().getSpec().getPorts().stream().noneMatch(p -> p.getPort() == dns.port())) {
                    problem(w.owner(), where + " joins on port " + dns.port() + ", which Service/" + name
                            + " does not expose");
                }
            }
        }
    }

    private static final Pattern BACKEND = Pattern.compile("auto|cpu|tornado(:[0-9][0-9:]*)?");

    /**
     * A GPU is asked for (in the limits, where Kubernetes counts extended resources) exactly by the nodes that run the
     * TornadoVM backend, and those run the image that has TornadoVM's SDK; elsewhere a GPU would sit idle, and
     * tornado without one would compute on no GPU.
     */
    private void backend(Manifests.Workload w, String where, Container c, CommandLine.ParseResult sub) {
        String backend = sub.hasMatchedOption("--backend") ? sub.matchedOption("--backend").getValue() : "auto";
        if (!BACKEND.matcher(backend).matches()) {
            problem(w.owner(), where + " runs --backend " + backend + ", which is not auto, cpu or tornado[:DEVICE]");
            return;
        }
        Map<String, Quantity> limits = c.getResources() == null ? Map.of() : c.getResources().getLimits();
        Map<String, Quantity> requests = c.getResources() == null ? Map.of() : c.getResources().getRequests();
        boolean tornado = backend.startsWith("tornado");
        if (requests.containsKey(GPU) && !limits.containsKey(GPU)) {
            problem(w.owner(), where + " requests " + GPU + " without a limit: Kubernetes takes GPUs in the limits");
        }
        if (limits.containsKey(GPU) && !tornado) {
            problem(w.owner(), where + " asks for " + GPU + " but runs --backend " + backend + ", not tornado: the GPU "
                    + "would sit idle");
        }
        if (tornado && !limits.containsKey(GPU)) {
            problem(w.owner(), where + " runs --backend " + backend + " but its limits ask for no " + GPU);
        }
        if (tornado != project.tornadoImage().equals(c.getImage())) {
            problem(w.owner(), where + " runs --backend " + backend + " in image " + c.getImage() + ": tornado needs "
                    + project.tornadoImage() + " (built with --target tornado), and only tornado does");
        }
    }

    /** Whether a workload's first container runs {@code quanthub <command>}. */
    private static boolean runs(Manifests.Workload w, String command) {
        List<Container> containers = w.template().getSpec().getContainers();
        return !containers.isEmpty() && !containers.getFirst().getArgs().isEmpty()
                && containers.getFirst().getArgs().getFirst().equals(command);
    }

    /** {@code --cache-size} fits in the size limit of the emptyDir volume that holds {@code --data}. */
    private void cacheFitsItsVolume(Manifests.Workload w, String where, PodSpec pod, Container c,
                                    CommandLine.ParseResult sub) {
        String data = String.valueOf(sub.matchedOptionValue("--data", ""));
        long cache = binarySize(String.valueOf(sub.matchedOptionValue("--cache-size", "0")));
        Optional<VolumeMount> mount = c.getVolumeMounts().stream()
                .filter(m -> data.equals(m.getMountPath()) || data.startsWith(m.getMountPath() + "/")).findFirst();
        Optional<Volume> volume = mount.flatMap(m -> pod.getVolumes().stream()
                .filter(v -> v.getName().equals(m.getName())).findFirst());
        Quantity limit = volume.map(Volume::getEmptyDir).map(e -> e.getSizeLimit()).orElse(null);
        if (limit == null) {
            problem(w.owner(), where + " caches up to --cache-size in --data=" + data + ", which is on no volume "
                    + "with a sizeLimit");
        } else if (cache > Quantity.getAmountInBytes(limit).longValue()) {
            problem(w.owner(), where + " --cache-size " + cache + " bytes does not fit its volume "
                    + volume.get().getName() + " (sizeLimit " + limit + ")");
        }
    }

    /**
     * The Prometheus annotation names the port the process serves {@code /metrics} on: the hub's {@code --port},
     * another member's {@code --metrics-port}, declared by the container.
     */
    private void metricsPort(Manifests.Workload w, String where, Container c, CommandLine.ParseResult sub) {
        Map<String, String> annotations = w.template().getMetadata() == null ? null
                : w.template().getMetadata().getAnnotations();
        String scraped = annotations == null ? null : annotations.get("prometheus.io/port");
        String option = sub.commandSpec().name().equals("serve") ? "--port" : "--metrics-port";
        if (sub.commandSpec().findOption(option) == null) return;
        if (scraped == null) {
            problem(w.owner(), where + " serves /metrics but its pod has no prometheus.io/port annotation");
            return;
        }
        Object served = sub.hasMatchedOption(option) ? sub.matchedOptionValue(option, null) : null;
        if (!scraped.equals(String.valueOf(served))) {
            problem(w.owner(), where + " is scraped on port " + scraped + " but serves /metrics on " + option + "="
                    + served);
        }
        if (c.getPorts().stream().noneMatch(p -> scraped.equals(String.valueOf(p.getContainerPort())))) {
            problem(w.owner(), where + " is scraped on port " + scraped + ", which it does not declare");
        }
    }

    /** A size as QuantHub's options take it: bytes, or K, M, G, T (binary), an optional B. */
    private static long binarySize(String text) {
        String s = text.strip().toUpperCase(java.util.Locale.ROOT);
        if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        int unit = s.isEmpty() ? -1 : "KMGT".indexOf(s.charAt(s.length() - 1));
        if (unit < 0) return Long.parseLong(s);
        return Long.parseLong(s.substring(0, s.length() - 1).strip()) << (10 * (unit + 1));
    }

    // ---- services and what points at them ----------------------------------------------------------------------

    private void service(Service s) {
        Map<String, String> selector = s.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            problem(s, "has no selector");
            return;
        }
        LabelSelector asSelector = new LabelSelector(List.of(), selector);
        List<Manifests.Workload> selected = manifests.workloads().stream()
                .filter(w -> w.template().getMetadata() != null
                        && matches(asSelector, w.template().getMetadata().getLabels())).toList();
        if (selected.isEmpty()) {
            problem(s, "selector " + selector + " matches no pod template");
            return;
        }
        for (ServicePort port : s.getSpec().getPorts()) {
            Object target = port.getTargetPort() == null ? port.getPort() : value(port.getTargetPort());
            for (Manifests.Workload w : selected) {
                boolean declared = w.template().getSpec().getContainers().stream()
                        .flatMap(c -> c.getPorts().stream())
                        .anyMatch(p -> target.equals(p.getName()) || target.equals(p.getContainerPort()));
                if (!declared) {
                    problem(s, "port " + port.getName() + " targets " + target + ", which " + w.describe()
                            + "'s containers do not declare");
                }
            }
        }
    }

    // ---- the cluster port ---------------------------------------------------------------------------------------

    /** The container port every cluster member declares; Hazelcast Community Edition authenticates no member. */
    static final String CLUSTER_PORT_NAME = "hazelcast";
    static final int CLUSTER_PORT = 5701;

    /**
     * A pod that listens on the cluster port must be selected by a NetworkPolicy, and every ingress rule of every
     * policy selecting it (Kubernetes unions them) that covers that port must admit only QuantHub cluster members:
     * peers given by a non-empty podSelector of this namespace that matches only pod templates with the cluster port.
     */
    private void clusterPort(Manifests.Workload w) {
        boolean member = w.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                .anyMatch(ManifestChecker::isClusterPort);
        if (!member) return;
        Map<String, String> labels = w.template().getMetadata() == null ? Map.of() : w.template().getMetadata()
                .getLabels();
        List<NetworkPolicy> policies = manifests.all(NetworkPolicy.class).stream()
                .filter(p -> p.getSpec().getPolicyTypes().contains("Ingress") || !p.getSpec().getIngress().isEmpty())
                .filter(p -> matches(p.getSpec().getPodSelector(), labels)).toList();
        if (policies.isEmpty()) {
            problem(w.owner(), "listens on the cluster port " + CLUSTER_PORT + " but no NetworkPolicy limits who "
                    + "reaches it (Hazelcast members do not authenticate)");
            return;
        }
        for (NetworkPolicy policy : policies) {
            for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
                boolean coversClusterPort = rule.getPorts().isEmpty() || rule.getPorts().stream()
                        .anyMatch(p -> p.getPort() == null || CLUSTER_PORT_NAME.equals(p.getPort().getStrVal())
                                || Integer.valueOf(CLUSTER_PORT).equals(p.getPort().getIntVal()));
                if (!coversClusterPort) continue;
                if (rule.getFrom().isEmpty()) {
                    problem(policy, "admits anyone to the cluster port of " + w.describe());
                }
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    if (!onlyClusterMembers(peer)) {
                        problem(policy, "admits pods other than QuantHub cluster members to the cluster port of "
                                + w.describe());
                    }
                }
            }
        }
    }

    private static boolean isClusterPort(io.fabric8.kubernetes.api.model.ContainerPort port) {
        return CLUSTER_PORT_NAME.equals(port.getName()) || Integer.valueOf(CLUSTER_PORT).equals(port.getContainerPort());
    }

    /** A peer of this namespace's pods whose labels select only pod templates that are cluster members. */
    private boolean onlyClusterMembers(NetworkPolicyPeer peer) {
        if (peer.getIpBlock() != null || peer.getNamespaceSelector() != null || peer.getPodSelector() == null
                || isEmpty(peer.getPodSelector())) {
            return false;
        }
        List<Manifests.Workload> selected = manifests.workloads().stream()
                .filter(w -> w.template().getMetadata() != null
                        && matches(peer.getPodSelector(), w.template().getMetadata().getLabels())).toList();
        return !selected.isEmpty() && selected.stream().allMatch(w -> w.template().getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts().stream()).anyMatch(ManifestChecker::isClusterPort));
    }

    private void statefulSet(StatefulSet s) {
        String serviceName = s.getSpec().getServiceName();
        if (serviceName == null) {
            problem(s, "has no serviceName (its governing headless Service)");
            return;
        }
        Optional<Service> service = manifests.find(Service.class, serviceName);
        if (service.isEmpty()) {
            problem(s, "serviceName " + serviceName + " names no Service here");
        } else if (!"None".equals(service.get().getSpec().getClusterIP())) {
            problem(s, "serviceName " + serviceName + " is not a headless Service (clusterIP: None)");
        } else if (service.get().getSpec().getSelector() == null || !matches(
                new LabelSelector(List.of(), service.get().getSpec().getSelector()), s.getSpec().getTemplate()
                        .getMetadata().getLabels())) {
            problem(s, "serviceName " + serviceName + " does not select this StatefulSet's pods");
        }
    }

    private void disruptionBudget(PodDisruptionBudget b) {
        LabelSelector selector = b.getSpec().getSelector();
        if (selector == null || isEmpty(selector) || manifests.workloads().stream()
                .noneMatch(w -> matches(selector, w.template().getMetadata().getLabels()))) {
            problem(b, "selector " + (selector == null ? "{}" : describe(selector)) + " matches no pod template");
        }
    }

    private void autoscaler(HorizontalPodAutoscaler a) {
        var target = a.getSpec().getScaleTargetRef();
        boolean exists = manifests.workloads().stream().anyMatch(w -> w.owner().getKind().equals(target.getKind())
                && w.owner().getMetadata().getName().equals(target.getName()));
        if (!exists) problem(a, "scales " + target.getKind() + "/" + target.getName() + ", which is not defined here");
        for (MetricSpec metric : a.getSpec().getMetrics()) {
            String name = metric.getExternal() != null ? metric.getExternal().getMetric().getName()
                    : metric.getPods() != null ? metric.getPods().getMetric().getName()
                    : metric.getObject() != null ? metric.getObject().getMetric().getName() : null;
            if (name != null && !project.metrics().contains(name)) {
                problem(a, "scales on metric " + name + ", which QuantHub does not register");
            }
        }
    }

    private void ingress(Ingress ingress) {
        List<IngressBackend> backends = new ArrayList<>();
        if (ingress.getSpec().getDefaultBackend() != null) backends.add(ingress.getSpec().getDefaultBackend());
        for (IngressRule rule : ingress.getSpec().getRules()) {
            if (rule.getHttp() == null) continue;
            for (HTTPIngressPath path : rule.getHttp().getPaths()) backends.add(path.getBackend());
        }
        for (IngressBackend backend : backends) {
            if (backend.getService() == null) continue;
            String name = backend.getService().getName();
            var port = backend.getService().getPort();
            Optional<Service> service = manifests.find(Service.class, name);
            if (service.isEmpty()) {
                problem(ingress, "backend Service " + name + " is not defined here");
            } else if (service.get().getSpec().getPorts().stream().noneMatch(p -> port.getName() != null
                    ? port.getName().equals(p.getName()) : Objects.equals(port.getNumber(), p.getPort()))) {
                problem(ingress, "backend port " + (port.getName() != null ? port.getName() : port.getNumber())
                        + " is not a port of Service/" + name);
            }
        }
    }

    // ---- references to Secrets and ConfigMaps ------------------------------------------------------------------

    private void key(HasMetadata owner, String where, Class<? extends HasMetadata> kind, String name, String key) {
        Optional<? extends HasMetadata> target = exists(owner, where, kind, name);
        if (target.isPresent() && !keysOf(target.get()).contains(key)) {
            problem(owner, where + " refers to key " + key + ", which " + Manifests.describe(target.get())
                    + " does not have");
        }
    }

    private void keys(HasMetadata owner, String where, Class<? extends HasMetadata> kind, String name,
                      List<KeyToPath> items) {
        for (KeyToPath item : items) key(owner, where, kind, name, item.getKey());
        if (items.isEmpty()) exists(owner, where, kind, name);
    }

    private Optional<? extends HasMetadata> exists(HasMetadata owner, String where, Class<? extends HasMetadata> kind,
                                                   String name) {
        Optional<? extends HasMetadata> target = manifests.find(kind, name);
        if (target.isEmpty()) problem(owner, where + " refers to " + kind.getSimpleName() + "/" + name
                + ", which is not defined here");
        return target;
    }

    private static Set<String> keysOf(HasMetadata o) {
        Set<String> keys = new LinkedHashSet<>();
        if (o instanceof Secret s) {
            if (s.getData() != null) keys.addAll(s.getData().keySet());
            if (s.getStringData() != null) keys.addAll(s.getStringData().keySet());
        } else if (o instanceof ConfigMap c) {
            if (c.getData() != null) keys.addAll(c.getData().keySet());
            if (c.getBinaryData() != null) keys.addAll(c.getBinaryData().keySet());
        }
        return keys;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** Kubernetes label selector semantics: every matchLabels pair and every matchExpressions requirement holds. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> have = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(have.get(e.getKey()))) return false;
            }
        }
        for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
            String value = have.get(r.getKey());
            boolean ok = switch (r.getOperator()) {
                case "In" -> value != null && r.getValues().contains(value);
                case "NotIn" -> value == null || !r.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
    }

    private static boolean isEmpty(LabelSelector s) {
        return (s.getMatchLabels() == null || s.getMatchLabels().isEmpty()) && s.getMatchExpressions().isEmpty();
    }

    private static String describe(LabelSelector s) {
        return s.getMatchExpressions().isEmpty() ? String.valueOf(s.getMatchLabels())
                : s.getMatchLabels() + " " + s.getMatchExpressions();
    }

    private static Object value(IntOrString port) {
        return port.getIntVal() != null ? port.getIntVal() : port.getStrVal();
    }

    private static List<String> references(String text) {
        List<String> names = new ArrayList<>();
        if (text == null) return names;
        Matcher m = VARIABLE_REFERENCE.matcher(text);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /** What Kubernetes would put in for $(NAME): the literal value, or a stand-in for one it fills in at run time. */
    private static String sampleValue(EnvVar env) {
        if (env.getValue() != null) return env.getValue();
        if (env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null) {
            return switch (env.getValueFrom().getFieldRef().getFieldPath()) {
                case "status.podIP" -> "10.0.0.17";
                case "metadata.namespace" -> "quanthub";
                default -> "sample";
            };
        }
        return "sample";
    }

    private static String substitute(String text, Map<String, String> values) {
        return VARIABLE_REFERENCE.matcher(text).replaceAll(m -> Matcher.quoteReplacement(
                values.getOrDefault(m.group(1), m.group())));
    }

    private static String decapitalize(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private void problem(HasMetadata o, String what) {
        problems.add(Manifests.describe(o) + ": " + what);
    }
}
