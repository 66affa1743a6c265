package io.quanthub.cluster;

import com.hazelcast.config.JoinConfig;
import java.util.Arrays;
import java.util.List;

/**
 * How a member finds the other members of its cluster, as written after {@code --join}:
 * <ul>
 *   <li>{@code host:port,host:port}: a fixed member list (Hazelcast's TCP-IP join), for machines you name;</li>
 *   <li>{@code dns:NAME[:PORT]}: Kubernetes. NAME is a headless Service whose DNS name resolves to the IP of every
 *       member pod (Hazelcast's Kubernetes discovery in DNS lookup mode: no API access, so no RBAC); PORT is the
 *       members' Hazelcast port, {@value #DEFAULT_PORT} unless given.</li>
 * </ul>
 */
public sealed interface Discovery {
    int DEFAULT_PORT = 5701;
    String DNS_PREFIX = "dns:";

    /** A fixed list of {@code host:port} addresses. */
    record MemberList(List<String> members) implements Discovery {
        public MemberList {
            members = List.copyOf(members);
            if (members.isEmpty()) throw new IllegalArgumentException("no member addresses to join");
            for (String member : members) {
                int colon = member.lastIndexOf(':');
                if (colon <= 0) throw badAddress(member);
                port(member.substring(colon + 1), member);
            }
        }

        @Override
        public void applyTo(JoinConfig join) {
            join.getKubernetesConfig().setEnabled(false);
            join.getTcpIpConfig().setEnabled(true).setMembers(members);
        }
    }

    /** The pods behind a headless Kubernetes Service, found by a DNS lookup of its name. */
    record KubernetesDns(String serviceDns, int port) implements Discovery {
        public KubernetesDns {
            if (serviceDns == null || serviceDns.isBlank()) throw new IllegalArgumentException("empty service name");
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }

        @Override
        public void applyTo(JoinConfig join) {
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", serviceDns)
                    .setProperty("service-port", Integer.toString(port));
        }
    }

    /** Turns this way of finding members on in {@code join}, and the other one off (multicast stays as it was). */
    void applyTo(JoinConfig join);

    /** Parses {@code host:port[,host:port...]} or {@code dns:NAME[:PORT]}; a bad value names itself in the error. */
    static Discovery parse(String text) {
        String value = text == null ? "" : text.strip();
        if (value.startsWith(DNS_PREFIX)) {
            String name = value.substring(DNS_PREFIX.length());
            int colon = name.lastIndexOf(':');
            if (colon < 0) return new KubernetesDns(name, DEFAULT_PORT);
            if (colon == 0) throw badAddress(value);
            return new KubernetesDns(name.substring(0, colon), port(name.substring(colon + 1), value));
        }
        return new MemberList(Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    /** {@code digits} as a port number, else an error naming {@code whole}. */
    private static int port(String digits, String whole) {
        if (!digits.matches("[0-9]{1,5}") || Integer.parseInt(digits) < 1 || Integer.parseInt(digits) > 65535) {
            throw badAddress(whole);
        }
        return Integer.parseInt(digits);
    }

    private static IllegalArgumentException badAddress(String whole) {
        return new IllegalArgumentException("cluster address '" + whole
                + "' is not host:port[,host:port...] or dns:SERVICE[:PORT]");
    }
}
