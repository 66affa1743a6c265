package io.quanthub.cli.pull;

import java.net.URI;

/**
 * A file on the hub as its {@code HEAD} describes it.
 *
 * @param size   bytes ({@code X-Linked-Size}, else {@code Content-Length})
 * @param sha256 bare hex, from the {@code ETag}
 * @param commit the commit the revision resolved to ({@code X-Repo-Commit}); null when not sent
 */
public record RemoteFile(URI uri, long size, String sha256, String commit) {
}
