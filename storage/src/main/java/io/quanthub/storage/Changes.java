package io.quanthub.storage;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** What one commit changes: files added or replaced (path to blob) and files deleted. Paths are validated. */
public record Changes(SortedMap<String, Blob> put, SortedSet<String> delete) {
    public Changes {
        put.keySet().forEach(Names::requireFilePath);
        delete.forEach(Names::requireFilePath);
        for (String path : delete) {
            if (put.containsKey(path)) {
                throw new IllegalArgumentException("file path " + Names.quote(path) + " is both put and deleted");
            }
        }
        put = Collections.unmodifiableSortedMap(new TreeMap<>(put));
        delete = Collections.unmodifiableSortedSet(new TreeSet<>(delete));
    }

    public static Changes of(Map<String, Blob> put, Set<String> delete) {
        return new Changes(new TreeMap<>(put), new TreeSet<>(delete));
    }

    public static Changes put(String path, Blob blob) {
        return of(Map.of(path, blob), Set.of());
    }

    public static Changes delete(String path) {
        return of(Map.of(), Set.of(path));
    }

    /** Every path this change touches. */
    public SortedSet<String> paths() {
        SortedSet<String> paths = new TreeSet<>(put.keySet());
        paths.addAll(delete);
        return paths;
    }

    /** The file list after this change; deleting a file that is not there is an error. */
    SortedMap<String, Blob> applyTo(SortedMap<String, Blob> files) {
        SortedMap<String, Blob> result = new TreeMap<>(files);
        for (String path : delete) {
            if (result.remove(path) == null) {
                throw new StorageException.NotFound("cannot delete " + Names.quote(path) + ": no such file");
            }
        }
        result.putAll(put);
        return result;
    }
}
