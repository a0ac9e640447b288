package ai.cove.job;

import ai.cove.operators.DeadLetterEvent;
import ai.cove.operators.FrameCodec;
import ai.cove.operators.RawRecord;
import ai.cove.operators.StylizedEvent;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The job's Kafka edges: raw records in (decoded later, so bad bytes can be dead-lettered), Avro out. */
final class KafkaSerdes {
    private KafkaSerdes() {
    }

    static final class RawIn implements KafkaRecordDeserializationSchema<RawRecord> {
        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawRecord> out) {
            out.collect(new RawRecord(r.key(), r.value(), r.topic(), r.partition(), r.offset(), r.timestamp()));
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }

    static final class StylizedOut implements KafkaRecordSerializationSchema<StylizedEvent> {
        private final String topic;

        StylizedOut(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(StylizedEvent e, KafkaSinkContext ctx, Long ts) {
            return new ProducerRecord<>(topic, e.videoId.getBytes(StandardCharsets.UTF_8), FrameCodec.encode(e));
        }
    }

    static final class DeadLetterOut implements KafkaRecordSerializationSchema<DeadLetterEvent> {
        private final String topic;

        DeadLetterOut(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetterEvent e, KafkaSinkContext ctx, Long ts) {
            return new ProducerRecord<>(topic, e.key, FrameCodec.encode(e));
        }
    }
}
