package io.quanthub.hub;

import io.quanthub.hub.api.ApiJson;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.quanthub.storage.Blob;
import io.quanthub.storage.Digest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face Hub's wire shapes, as huggingface_hub (Python) and @huggingface/hub (JS) read them: every record
 * the {@code Hf*} routes answer with, and the few rules that make QuantHub's files look like the Hub's.
 *
 * <p>QuantHub keeps every file as a content-addressed blob, which is what the Hub calls a Git LFS file: so every
 * file is listed with {@code lfs} ({@code sha256}/{@code oid} = its sha256, its size, and the size of its Git LFS
 * pointer), and its git object id ({@code oid}, {@code blobId}) is the one of that pointer, computed from the digest
 * and size without reading the file.
 */
final class HfShapes {
    private HfShapes() {}

    // ---- model info ------------------------------------------------------------------------------------------------

    /** {@code siblings[]} of model info: {@code lfs.sha256}, as huggingface_hub's {@code RepoSibling} reads it. */
    record Sibling(String rfilename, long size, String blobId, SiblingLfs lfs) {}

    record SiblingLfs(String sha256, long size, int pointerSize) {}

    // ---- tree and paths-info ---------------------------------------------------------------------------------------

    /**
     * An item of {@code tree} and {@code paths-info}: {@code type} "file" (with size and lfs) or "directory";
     * {@code lastCommit} only when the request asks for {@code expand}.
     */
    record TreeEntry(String type, String oid, Long size, String path, TreeLfs lfs, LastCommit lastCommit) {
        TreeEntry expanded(LastCommit commit) {
            return new TreeEntry(type, oid, size, path, lfs, commit);
        }
    }

    /**
     * {@code lastCommit} of an expanded tree item: the commit the revision resolved to. (The Hub names the last
     * commit that changed the path; QuantHub does not search the history for it. huggingface.js files a download
     * under this id when it cannot tell a commit id from a branch name: QuantHub's ids are 64 hex digits, the
     * clients only recognise git's 40.)
     */
    record LastCommit(String id, String title, String date) {}

    static LastCommit lastCommit(io.quanthub.storage.Commit commit) {
        String message = commit.manifest().message() == null ? "" : commit.manifest().message();
        int newline = message.indexOf('\n');
        return new LastCommit(commit.id(), newline < 0 ? message : message.substring(0, newline),
                date(commit.manifest().time()));
    }

    record TreeLfs(String oid, long size, int pointerSize) {}

    // ---- commits and refs ------------------------------------------------------------------------------------------

    record CommitAuthor(String user) {}

    /** An item of {@code GET /api/models/{repo}/commits/{rev}}. */
    record CommitItem(String id, String title, String message, List<CommitAuthor> authors, String date) {}

    record RefItem(String name, String ref, String targetCommit) {}

    record Refs(List<RefItem> branches, List<RefItem> tags, List<RefItem> converts) {}

    // ---- whoami-v2 -------------------------------------------------------------------------------------------------

    record OrgInfo(String type, String id, String name, String fullname, String roleInOrg) {}

    record AccessTokenInfo(String displayName, String role) {}

    record AuthInfo(String type, AccessTokenInfo accessToken) {}

    record WhoAmI(String type, String id, String name, String fullname, boolean isPro, boolean canPay,
                  boolean emailVerified, List<OrgInfo> orgs, AuthInfo auth) {}

    // ---- repositories ----------------------------------------------------------------------------------------------

    /**
     * The answer of {@code POST /api/repos/create} (and {@code /api/repos/move}, naming the new repository):
     * huggingface_hub reads {@code url}, huggingface.js {@code url, id}.
     */
    record CreatedRepo(String url, String name, String id) {}

    // ---- uploads ---------------------------------------------------------------------------------------------------

    /** One file of the preupload answer: how the client must send it. */
    record UploadMode(String path, String uploadMode, boolean shouldIgnore) {}

    record Preupload(List<UploadMode> files) {}

    /** The NDJSON commit's answer ({@code commitOid}, {@code commitUrl}: what both clients read). */
    record CommitDone(boolean success, String commitOid, String commitUrl) {}

    /** A Git LFS batch answer (https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md). */
    record LfsBatch(String transfer, List<LfsObject> objects, @JsonProperty("hash_algo") String hashAlgo) {}

    /** One object of a batch answer: no {@code actions} when the hub has it for this repository already. */
    record LfsObject(String oid, long size, Boolean authenticated, Map<String, LfsAction> actions, LfsError error) {}

    record LfsAction(String href, Map<String, String> header, @JsonProperty("expires_in") Long expiresIn) {}

    record LfsError(int code, String message) {}

    // ---- the rules -------------------------------------------------------------------------------------------------

    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** A time as the Hub writes it, always with milliseconds ({@code 2024-06-11T13:13:08.000Z}). */
    static String date(Instant time) {
        return time == null ? null : DATE.format(time);
    }

    /** The Git LFS pointer file that stands for a blob in git. */
    static String pointer(Blob blob) {
        return "version https://git-lfs.github.com/spec/v1\noid sha256:" + blob.digest().hex() + "\nsize "
                + blob.size() + "\n";
    }

    static int pointerSize(Blob blob) {
        return pointer(blob).getBytes(StandardCharsets.UTF_8).length;
    }

    /** The git object id (sha1 of {@code blob <length>\0<content>}) of the blob's LFS pointer. */
    static String gitOid(Blob blob) {
        return gitSha1(pointer(blob).getBytes(StandardCharsets.UTF_8));
    }

    /** A stable 40-hex id for something git would hash (a folder of a commit). */
    static String gitSha1(byte[] content) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }

    static Sibling sibling(String path, Blob blob) {
        return new Sibling(path, blob.size(), gitOid(blob),
                new SiblingLfs(blob.digest().hex(), blob.size(), pointerSize(blob)));
    }

    static TreeEntry file(String path, Blob blob) {
        return new TreeEntry("file", gitOid(blob), blob.size(), path,
                new TreeLfs(blob.digest().hex(), blob.size(), pointerSize(blob)), null);
    }

    static TreeEntry directory(String commit, String path) {
        return new TreeEntry("directory", gitSha1((commit + ":" + path).getBytes(StandardCharsets.UTF_8)), 0L, path,
                null, null);
    }

    /** A digest as the Hub's {@code oid}: bare lower-case hex; 400 for anything else. */
    static Digest oid(String oid) {
        if (oid == null || !oid.matches("[0-9a-f]{64}")) {
            throw ApiException.badRequest("oid " + (oid == null ? "null" : "'" + ApiJson.oneLine(oid) + "'")
                    + " is not a sha256 (64 lower-case hex digits)");
        }
        return new Digest(oid);
    }
}
