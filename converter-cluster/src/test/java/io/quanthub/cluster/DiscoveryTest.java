package io.quanthub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
    @Test
    void parsesMemberListsAndKubernetesServiceNames() {
        assertEquals(new Discovery.MemberList(List.of("10.0.0.1:5701", "node-b:5702")),
                Discovery.parse(" 10.0.0.1:5701, node-b:5702 "));
        assertEquals(new Discovery.KubernetesDns("quanthub-cluster.ns.svc.cluster.local", 5701),
                Discovery.parse("dns:quanthub-cluster.ns.svc.cluster.local"));
        assertEquals(new Discovery.KubernetesDns("quanthub-cluster", 6000), Discovery.parse("dns:quanthub-cluster:6000"));
    }

    @Test
    void badAddressesNameThemselves() {
        for (String bad : List.of("", "node-b", ":5701", "node-b:port", "node-b:70000", "dns:", "dns::5701",
                "dns:svc:0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Discovery.parse(bad));
            assertFalse(e.getMessage().isBlank(), bad);
        }
    }

    @Test
    void eachModeTurnsTheOtherOff() {
        JoinConfig join = new JoinConfig();
        Discovery.parse("dns:quanthub-cluster:5701").applyTo(join);
        assertFalse(join.getTcpIpConfig().isEnabled());
        assertTrue(join.getKubernetesConfig().isEnabled());
        assertEquals("quanthub-cluster", join.getKubernetesConfig().getProperty("service-dns"));
        assertEquals("5701", join.getKubernetesConfig().getProperty("service-port"));

        Discovery.parse("127.0.0.1:5701").applyTo(join);
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertFalse(join.getKubernetesConfig().isEnabled());
        assertEquals(List.of("127.0.0.1:5701"), join.getTcpIpConfig().getMembers());
    }

    /**
     * The Kubernetes DNS mode with a name every machine resolves: {@code localhost} stands in for a headless
     * Service (one A record per pod). Both members look the name up; the second one finds the first at its port.
     */
    @Test
    void membersFindEachOtherThroughADnsName() throws IOException {
        int first;
        try (ServerSocket free = new ServerSocket(0)) {
            first = free.getLocalPort();
        }
        String cluster = "dns-" + UUID.randomUUID();
        Discovery discovery = new Discovery.KubernetesDns("localhost", first);
        List<HazelcastInstance> members = new ArrayList<>();
        try {
            for (int port : List.of(first, 0)) { // the second member takes any free port
                members.add(Hazelcast.newHazelcastInstance(ClusterMember.config(cluster, "127.0.0.1", port, discovery)));
            }
            for (HazelcastInstance member : members) assertEquals(2, member.getCluster().getMembers().size());
        } finally {
            members.forEach(m -> m.getLifecycleService().terminate());
        }
    }
}
