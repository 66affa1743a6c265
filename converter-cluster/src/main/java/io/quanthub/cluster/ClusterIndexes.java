package io.quanthub.cluster;

import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;

/**
 * Declares a map's indexes for the whole cluster, before the map is first used: without them a predicate is
 * evaluated on every entry, deserializing each, which is what the predicates are there to avoid.
 *
 * <p>Hazelcast's dynamic configuration reaches every member and those that join later; every member declares the
 * same indexes, which Hazelcast accepts. While partitions migrate (just after members join) Hazelcast answers queries
 * by scanning; the indexes save the reads once the cluster is stable.
 */
public final class ClusterIndexes {
    private ClusterIndexes() {
    }

    public static void declare(HazelcastInstance hz, String map, IndexConfig... indexes) {
        MapConfig config = new MapConfig(map);
        for (IndexConfig index : indexes) config.addIndexConfig(index);
        hz.getConfig().addMapConfig(config);
    }
}
