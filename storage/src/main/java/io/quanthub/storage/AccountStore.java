package io.quanthub.storage;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Users, organisations and memberships: who owns which repository namespace. User and organisation names share one
 * namespace (a repository owner is either), so a name is taken by at most one of them.
 *
 * <p>Layout: {@code accounts/users/<name>.json}, {@code accounts/orgs/<name>.json} and one object per membership at
 * {@code accounts/members/<user>/<org>.json}, keyed by user because the hub asks "which organisations is this user
 * in" on every token lookup (one listing) and "who is in this organisation" only for people. What a role allows is
 * the hub's business. All methods block.
 */
public final class AccountStore {
    static final String USERS = "accounts/users/";
    static final String ORGS = "accounts/orgs/";
    static final String MEMBERS = "accounts/members/";
    private static final String SUFFIX = ".json";

    /**
     * A person (or a robot) that owns tokens and the namespace of its name.
     *
     * @param admin a hub administrator: sees and writes every repository and manages accounts
     */
    public record User(String name, boolean admin, String createdBy, Instant created) {
        public User {
            Names.requireAccountName(name);
            Objects.requireNonNull(createdBy, "createdBy");
            Objects.requireNonNull(created, "created");
        }
    }

    /** An organisation: a namespace its members own together. */
    public record Org(String name, String createdBy, Instant created) {
        public Org {
            Names.requireAccountName(name);
            Objects.requireNonNull(createdBy, "createdBy");
            Objects.requireNonNull(created, "created");
        }
    }

    /** A user's place in an organisation; {@code role} is a word the hub interprets (read, write). */
    public record Membership(String org, String user, String role, String addedBy, Instant added) {
        public Membership {
            Names.requireAccountName(org);
            Names.requireAccountName(user);
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(addedBy, "addedBy");
            Objects.requireNonNull(added, "added");
        }
    }

    private final ObjectStore s3;
    private final StorageOptions options;

    AccountStore(ObjectStore s3, StorageOptions options) {
        this.s3 = s3;
        this.options = options;
    }

    private Instant now() {
        return options.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    }

    // ---- users and organisations -----------------------------------------------------------------------------------

    /** Creates a user; {@link StorageException.AlreadyExists} when a user or an organisation has the name. */
    public User createUser(String name, boolean admin, String createdBy) {
        User user = new User(name, admin, createdBy, now());
        claim(USERS, ORGS, name, StoredJson.write(user));
        return user;
    }

    /** Creates an organisation; {@link StorageException.AlreadyExists} when a user or an organisation has the name. */
    public Org createOrg(String name, String createdBy) {
        Org org = new Org(name, createdBy, now());
        claim(ORGS, USERS, name, StoredJson.write(org));
        return org;
    }

    /**
     * Writes the record under {@code prefix} unless the name is taken there or under {@code other}. Two hubs that
     * create a user and an organisation of one name at the same moment both write, both see the other and both
     * back out: one of them may fail needlessly, but never do both succeed.
     */
    private void claim(String prefix, String other, String name, byte[] record) {
        String taken = "the name '" + name + "' is taken by " + (other.equals(USERS) ? "a user" : "an organisation");
        if (s3.stat(other + name + SUFFIX).isPresent()) throw new StorageException.AlreadyExists(taken);
        if (!s3.putIfAbsent(prefix + name + SUFFIX, record)) {
            throw new StorageException.AlreadyExists("the name '" + name + "' is taken by "
                    + (prefix.equals(USERS) ? "a user" : "an organisation"));
        }
        if (s3.stat(other + name + SUFFIX).isPresent()) {
            s3.delete(prefix + name + SUFFIX);
            throw new StorageException.AlreadyExists(taken);
        }
    }

    public Optional<User> user(String name) {
        return read(USERS + Names.requireAccountName(name) + SUFFIX, User.class);
    }

    public Optional<Org> org(String name) {
        return read(ORGS + Names.requireAccountName(name) + SUFFIX, Org.class);
    }

    /** Every user, by name. */
    public List<User> users() {
        return readAll(USERS, User.class);
    }

    /** Every organisation, by name. */
    public List<Org> orgs() {
        return readAll(ORGS, Org.class);
    }

    /**
     * Deletes a user and its memberships (its repositories stay, reachable by hub administrators only, and its
     * tokens are the hub's to revoke); false when there was no such user.
     */
    public boolean deleteUser(String name) {
        String key = USERS + Names.requireAccountName(name) + SUFFIX;
        if (s3.stat(key).isEmpty()) return false;
        s3.delete(key);
        for (Membership m : memberships(name)) s3.delete(memberKey(m.user(), m.org()));
        return true;
    }

    /** Deletes an organisation and its memberships (its repositories stay); false when there was none. */
    public boolean deleteOrg(String name) {
        String key = ORGS + Names.requireAccountName(name) + SUFFIX;
        if (s3.stat(key).isEmpty()) return false;
        s3.delete(key);
        for (String member : memberKeys(name)) s3.delete(member);
        return true;
    }

    // ---- memberships ---------------------------------------------------------------------------------------------

    private static String memberKey(String user, String org) {
        return MEMBERS + user + "/" + org + SUFFIX;
    }

    /**
     * Makes {@code user} a member of {@code org} with {@code role}, or changes its role; {@link
     * StorageException.NotFound} when either does not exist.
     */
    public Membership addMember(String org, String user, String role, String addedBy) {
        Membership membership = new Membership(org, user, role, addedBy, now());
        if (org(org).isEmpty()) throw new StorageException.NotFound("organisation '" + org + "' not found");
        if (user(user).isEmpty()) throw new StorageException.NotFound("user '" + user + "' not found");
        s3.put(memberKey(user, org), StoredJson.write(membership));
        return membership;
    }

    /** Ends a membership; false when there was none. */
    public boolean removeMember(String org, String user) {
        String key = memberKey(Names.requireAccountName(user), Names.requireAccountName(org));
        if (s3.stat(key).isEmpty()) return false;
        s3.delete(key);
        return true;
    }

    /** The organisations {@code user} is a member of: one listing and one read per membership. */
    public List<Membership> memberships(String user) {
        return readAll(MEMBERS + Names.requireAccountName(user) + "/", Membership.class);
    }

    /** The members of {@code org}. Lists every membership of the hub: for people, not for request handling. */
    public List<Membership> members(String org) {
        return memberKeys(Names.requireAccountName(org)).stream()
                .map(key -> read(key, Membership.class))
                .flatMap(Optional::stream)
                .toList();
    }

    private List<String> memberKeys(String org) {
        String suffix = "/" + org + SUFFIX;
        return s3.list(MEMBERS).map(ObjectStore.ObjectInfo::key).filter(key -> key.endsWith(suffix)).toList();
    }

    // ---- records ---------------------------------------------------------------------------------------------------

    private <T> Optional<T> read(String key, Class<T> type) {
        return s3.get(key).map(json -> StoredJson.read(json, type, key));
    }

    private <T> List<T> readAll(String prefix, Class<T> type) {
        return s3.list(prefix)
                .map(ObjectStore.ObjectInfo::key)
                .filter(key -> key.endsWith(SUFFIX) && key.indexOf('/', prefix.length()) < 0)
                .map(key -> read(key, type))
                .flatMap(Optional::stream) // deleted between the listing and the read
                .toList();
    }
}
