package io.quanthub.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The objects of a kustomization folder ({@code kustomization.yaml} and the files its {@code resources} list), each
 * parsed by fabric8 into its typed model class, in file order.
 */
record Manifests(List<String> files, List<HasMetadata> objects) {
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** A Deployment, StatefulSet or DaemonSet: what creates pods, with its selector and pod template. */
    record Workload(HasMetadata owner, LabelSelector selector, PodTemplateSpec template) {
        String describe() {
            return Manifests.describe(owner);
        }
    }

    static Manifests load(Path folder) throws IOException {
        List<String> files = resources(Files.readString(folder.resolve("kustomization.yaml")));
        List<HasMetadata> objects = new ArrayList<>();
        for (String file : files) objects.addAll(parse(Files.readString(folder.resolve(file))));
        return new Manifests(files, objects);
    }

    /** The file names under {@code resources:} of a kustomization. */
    static List<String> resources(String kustomizationYaml) {
        Map<?, ?> kustomization = SERIALIZATION.unmarshal(kustomizationYaml, Map.class);
        if (!(kustomization.get("resources") instanceof List<?> list)) {
            throw new IllegalArgumentException("kustomization.yaml has no resources list");
        }
        return list.stream().map(String::valueOf).toList();
    }

    /** Every document of a (multi-document) YAML text. */
    static List<HasMetadata> parse(String yaml) {
        Object parsed = SERIALIZATION.unmarshal(yaml);
        List<HasMetadata> objects = new ArrayList<>();
        if (parsed instanceof List<?> list) {
            for (Object o : list) if (o != null) objects.add((HasMetadata) o);
        } else if (parsed != null) {
            objects.add((HasMetadata) parsed);
        }
        return objects;
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst();
    }

    List<Workload> workloads() {
        List<Workload> workloads = new ArrayList<>();
        for (HasMetadata o : objects) {
            switch (o) {
                case Deployment d -> workloads.add(new Workload(d, d.getSpec().getSelector(), d.getSpec().getTemplate()));
                case StatefulSet s -> workloads.add(new Workload(s, s.getSpec().getSelector(), s.getSpec().getTemplate()));
                case DaemonSet d -> workloads.add(new Workload(d, d.getSpec().getSelector(), d.getSpec().getTemplate()));
                default -> { }
            }
        }
        return workloads;
    }

    /** {@code Kind/name}, as kubectl names objects. */
    static String describe(HasMetadata o) {
        return o.getKind() + "/" + (o.getMetadata() == null ? "?" : o.getMetadata().getName());
    }
}
