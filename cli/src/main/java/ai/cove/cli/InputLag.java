package ai.cove.cli;

import ai.cove.job.KafkaClients;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the job's committed input offsets (committed by Flink on each completed checkpoint,
 * together with the output transactions) trail the end of the input topic.
 */
public final class InputLag implements AutoCloseable {
    private final Admin admin;
    private final String topic;
    private final String group;

    public InputLag(String bootstrap, Properties clientProps, String topic, String group) {
        this.admin = Admin.create(KafkaClients.admin(bootstrap, clientProps));
        this.topic = topic;
        this.group = group;
    }

    /** Sum of end offsets and of committed offsets over the topic's partitions. */
    public long[] endAndCommitted() throws ExecutionException, InterruptedException {
        var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        long end = admin.listOffsets(latest).all().get().values().stream().mapToLong(i -> i.offset()).sum();
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
        return new long[] {end, done};
    }

    @Override
    public void close() {
        admin.close();
    }
}
