package io.quanthub.cluster;

import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;

/**
 * Declares a map's indexes for the whole cluster, before the map is first used: without them a predicate is
 * evaluated on every entry, deserializing each, which is what the predicates are there to avoid.
 *
 * <p>Two steps, because each covers what the other misses. The dynamic map configuration reaches every member and
 * those that join later, but only map containers created after it arrives take it; {@code IMap.addIndex} indexes
 * the containers members already hold (a member that joined while another was declaring). Every member declares the
 * same indexes, which Hazelcast accepts. While partitions migrate, Hazelcast answers queries by scanning: the
 * indexes save the reads once the cluster is stable.
 */
public final class ClusterIndexes {
    private ClusterIndexes() {
    }

    public static void declare(HazelcastInstance hz, String map, IndexConfig... indexes) {
        MapConfig config = new MapConfig(map);
        for (IndexConfig index : indexes) config.addIndexConfig(index);
        hz.getConfig().addMapConfig(config);
        for (IndexConfig index : indexes) hz.getMap(map).addIndex(index);
    }
}
