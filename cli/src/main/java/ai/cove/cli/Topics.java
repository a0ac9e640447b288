package ai.cove.cli;

import ai.cove.job.KafkaClients;
import ai.cove.job.KafkaErrors;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;

/** Topic set-up on any broker: the embedded one, a standalone one or a production cluster. */
public final class Topics {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Topics.class);
    private Topics() {
    }

    /**
     * Creates the topics that do not exist yet, with the broker's default replication factor (so a
     * three-broker cluster gets its usual replicas and a single local broker one) and a message
     * size limit that fits 4K frames. Topics that exist are left alone; where the client may not
     * create (or not even see) a topic, it is left to {@link ai.cove.job.KafkaAccess#require}, which
     * names the missing permission.
     */
    public static void ensure(String bootstrap, Properties clientProps, int partitions, String... topics)
            throws InterruptedException {
        try (Admin admin = Admin.create(KafkaClients.admin(bootstrap, clientProps))) {
            Set<String> existing;
            try {
                existing = admin.listTopics().names().get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(KafkaErrors.explain(e.getCause(), bootstrap, clientProps), e.getCause());
            }
            for (String t : topics) {
                if (existing.contains(t)) {
                    continue;
                }
                try {
                    admin.createTopics(List.of(new NewTopic(t, Optional.of(partitions), Optional.empty())
                            .configs(KafkaClients.topicConfig()))).all().get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicAuthorizationException) {
                        log.info("may not create topic {} on {}: left to an admin", t, bootstrap);
                    } else if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + t + " on " + bootstrap + ": "
                                + e.getCause().getMessage() + " (create it yourself or grant the client CREATE)", e);
                    }
                }
            }
        }
    }
}
