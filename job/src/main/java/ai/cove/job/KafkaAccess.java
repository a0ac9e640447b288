package ai.cove.job;

import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka permissions each cove client needs (least privilege), and a check, before any work
 * starts, that the configured principal has them: a missing ACL or a rejected login fails the
 * command at once with the permission's name, instead of a Flink job restarting forever.
 */
public final class KafkaAccess {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KafkaAccess.class);
    /** Who talks to Kafka: each gets its own principal and only these permissions. */
    public enum Role { JOB, INGEST, EXPORT, CONTROL }

    /** One permission: an operation on a resource, matched literally or by prefix (transactional ids). */
    public record Need(ResourceType type, String name, PatternType pattern, AclOperation operation) {
        @Override
        public String toString() {
            return operation + " on " + type.name().toLowerCase(java.util.Locale.ROOT).replace("transactional_id",
                    "transactional id") + (pattern == PatternType.PREFIXED ? " prefix " : " ") + name;
        }

        /** The ACL that grants it to {@code principal} (e.g. "User:cove-job"). */
        public AclBinding grantTo(String principal) {
            return new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
        }
    }

    private KafkaAccess() {
    }

    /**
     * The job reads its input topic within its consumer group and writes output and dead letters in
     * transactions whose ids start with the group id (CoveJob's sinks); it reads runtime style changes
     * from the control topic, which only the control principal (cove restyle, the preview) writes. Ingest writes frames and their
     * audio; export reads the stylized frames and the audio back. The job never touches audio.
     */
    public static List<Need> needs(Role role, JobConfig c) {
        return switch (role) {
            case JOB -> List.of(topic(c.inputTopic(), AclOperation.READ), topic(c.controlTopic(), AclOperation.READ),
                    new Need(ResourceType.GROUP, c.groupId(), PatternType.LITERAL, AclOperation.READ),
                    topic(c.outputTopic(), AclOperation.WRITE), topic(c.deadLetterTopic(), AclOperation.WRITE),
                    new Need(ResourceType.TRANSACTIONAL_ID, CoveJob.transactionalIdPrefix(c), PatternType.PREFIXED,
                            AclOperation.WRITE));
            case INGEST -> List.of(topic(c.inputTopic(), AclOperation.WRITE), topic(c.audioTopic(), AclOperation.WRITE));
            case EXPORT -> List.of(topic(c.outputTopic(), AclOperation.READ), topic(c.audioTopic(), AclOperation.READ));
            case CONTROL -> List.of(topic(c.controlTopic(), AclOperation.WRITE));
        };
    }

    private static Need topic(String name, AclOperation op) {
        return new Need(ResourceType.TOPIC, name, PatternType.LITERAL, op);
    }

    /**
     * Fails with one line naming the first missing permission, or the login or TLS problem, when
     * {@code role}'s principal cannot do its work. On a broker without an authorizer every check passes.
     */
    public static void require(Role role, JobConfig c) {
        Properties p = KafkaClients.admin(c.bootstrap(), c.kafkaProperties());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        List<Need> needs = needs(role, c);
        try (Admin admin = Admin.create(p)) {
            for (Need need : needs) {
                if (!granted(admin, need)) {
                    throw new IllegalStateException(KafkaErrors.missing(need, c));
                }
            }
            log.info("Kafka principal of the {} has what it needs at {}: {}", role.name().toLowerCase(java.util.Locale.ROOT),
                    c.bootstrap(), needs);
        } catch (ExecutionException e) {
            throw new IllegalStateException(KafkaErrors.explain(e.getCause(), c.bootstrap(), c.kafkaProperties()), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + c.bootstrap() + " within 30 s: is the broker "
                    + "up and the address right?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Kafka permissions", e);
        }
    }

    private static boolean granted(Admin admin, Need need) throws ExecutionException, InterruptedException, TimeoutException {
        try {
            Set<AclOperation> ops = authorizedOperations(admin, need);
            return ops == null || ops.contains(need.operation()) || ops.contains(AclOperation.ALL);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException) {
                return false; // not even allowed to describe it
            }
            throw e;
        }
    }

    /** What the principal may do with the need's resource; null when Kafka cannot say (transactional ids). */
    private static Set<AclOperation> authorizedOperations(Admin admin, Need need)
            throws ExecutionException, InterruptedException, TimeoutException {
        return switch (need.type()) {
            case TOPIC -> admin.describeTopics(List.of(need.name()), new DescribeTopicsOptions().includeAuthorizedOperations(true))
                    .allTopicNames().get(30, TimeUnit.SECONDS).get(need.name()).authorizedOperations();
            case GROUP -> groupOps(admin, need.name());
            case TRANSACTIONAL_ID -> transactionalIdOps(admin, need.name());
            default -> throw new IllegalArgumentException("no check for " + need);
        };
    }

    /**
     * A group that does not exist yet has no authorized operations to report; the broker checks
     * DESCRIBE before it looks the group up, so "not found" means the principal may describe it, and
     * the READ cove's ACLs grant is the only grant that implies DESCRIBE.
     */
    private static Set<AclOperation> groupOps(Admin admin, String group)
            throws InterruptedException, TimeoutException, ExecutionException {
        try {
            return admin.describeConsumerGroups(List.of(group), new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true))
                    .all().get(30, TimeUnit.SECONDS).get(group).authorizedOperations();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Kafka has no authorized-operations query for transactional ids: describing a transaction that
     * does not exist answers "not found" to a principal that may use the id and "not authorized"
     * otherwise (the authorization error surfaces through {@link #require}'s explanation).
     */
    private static Set<AclOperation> transactionalIdOps(Admin admin, String prefix)
            throws InterruptedException, TimeoutException, ExecutionException {
        String probe = prefix + "access-check";
        try {
            admin.describeTransactions(List.of(probe)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TransactionalIdNotFoundException)) {
                throw e;
            }
        }
        return null;
    }

    /** The permissions as ACL bindings for one principal (broker set-up, tests). */
    public static List<AclBinding> acls(Role role, JobConfig c, String principal) {
        return needs(role, c).stream().map(n -> n.grantTo(principal)).toList();
    }
}
