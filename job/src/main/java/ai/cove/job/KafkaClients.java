package ai.cove.job;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The Kafka client settings of every cove client (the job's source and sinks, ingest, export,
 * check, topic creation), built from the clients' own config constants on top of the user's
 * {@code kafka:} settings (TLS/SASL pass through unchanged).
 */
public final class KafkaClients {
    /**
     * The largest record any cove topic, producer or consumer handles: twice the default payload
     * limit (StreamLimits, 8 MB), so a frame at the limit still fits with its Avro header, and a
     * dead letter carrying it does too.
     */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;

    private KafkaClients() {
    }

    private static Properties base(String bootstrap, Properties user) {
        Properties p = new Properties();
        p.putAll(user);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    /** Admin client settings (topic creation, lag). */
    public static Properties admin(String bootstrap, Properties user) {
        return base(bootstrap, user);
    }

    /** An idempotent producer that waits for all replicas and takes records up to the limit. */
    public static Properties producer(String bootstrap, Properties user) {
        Properties p = base(bootstrap, user);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return p;
    }

    /**
     * A consumer that sees only committed transactions and fetches records up to the limit. It has
     * no consumer group (readers assign partitions), so it needs no group ACL.
     */
    public static Properties committedReader(String bootstrap, Properties user) {
        Properties p = base(bootstrap, user);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(4 * MAX_MESSAGE_BYTES));
        return p;
    }

    /** The job's source: the user's settings, read_committed unless they say otherwise. */
    static Properties jobSource(Properties user) {
        return withDefaults(user, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES)));
    }

    /** The job's sinks: transactions shorter than the broker's default maximum (15 min). */
    static Properties jobSink(Properties user) {
        return withDefaults(user, Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_MESSAGE_BYTES)));
    }

    /** The user's settings, with each default added where the user set nothing. */
    private static Properties withDefaults(Properties user, Map<String, String> defaults) {
        Properties p = new Properties();
        p.putAll(user);
        defaults.forEach(p::putIfAbsent);
        return p;
    }

    /** Per-topic settings of the topics cove creates. */
    public static Map<String, String> topicConfig() {
        return Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
    }
}
