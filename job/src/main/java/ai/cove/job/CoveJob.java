package ai.cove.job;

import ai.cove.engine.Bundles;
import ai.cove.operators.CoherentStylizeFunction;
import ai.cove.operators.DecodeFunction;
import ai.cove.operators.StyleOverrides;
import ai.cove.operators.StylizeOperator;
import ai.cove.operators.DeadLetterEvent;
import ai.cove.operators.FrameEvent;
import ai.cove.operators.Outputs;
import ai.cove.operators.RawRecord;
import ai.cove.operators.StylizedEvent;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The stream job: Kafka frames (key = video id) -> decode/validate -> keyBy(video id) -> keyed
 * coherent stylization (F^o in keyed state) -> Kafka stylized frames; bad input -> dead letters.
 */
public final class CoveJob {
    /**
     * How long a frame's last, partly filled network buffer waits before it is sent on to the keyed
     * stylize operator. A frame record (tens to hundreds of kB) fills whole 32 kB buffers by itself,
     * and a stream brings a few frames per second: flushing at once costs nothing and removes up to
     * Flink's default 100 ms from every frame's latency.
     */
    static final long FRAME_BUFFER_TIMEOUT_MS = 0;

    private CoveJob() {
    }

    public static void build(StreamExecutionEnvironment env, JobConfig c) {
        build(env, c, UnaryOperator.identity());
    }

    /** {@code tap} sees the decoded frames before keyBy (tests inject failures there). */
    public static void build(StreamExecutionEnvironment env, JobConfig c, UnaryOperator<DataStream<FrameEvent>> tap) {
        var sourceBuilder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopics(c.inputTopic())
                .setGroupId(c.groupId())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new KafkaSerdes.RawIn())
                .setProperties(KafkaClients.jobSource(c.kafkaProperties()));
        if (c.bounded()) {
            sourceBuilder.setBounded(OffsetsInitializer.latest()); // archive replay: stop at today's end
        }
        KafkaSource<RawRecord> source = sourceBuilder.build();
        DataStream<RawRecord> raw = env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-frames")
                .uid("kafka-frames");
        Set<String> styles = knownStyles(c.style());
        SingleOutputStreamOperator<FrameEvent> frames = raw
                .process(new DecodeFunction(c.limits(), styles))
                .returns(TypeInformation.of(FrameEvent.class)).name("decode").uid("decode")
                .setBufferTimeout(FRAME_BUFFER_TIMEOUT_MS);
        // runtime style changes reach a live job; an archive replay (bounded) keeps the frames' own styles
        SingleOutputStreamOperator<FrameEvent> restyled = c.bounded() ? frames
                : frames.connect(control(env, c).broadcast(StyleOverrides.STATE))
                .process(new StyleOverrides(styles))
                .returns(TypeInformation.of(FrameEvent.class)).name("style-overrides").uid("style-overrides")
                .setBufferTimeout(FRAME_BUFFER_TIMEOUT_MS);
        SingleOutputStreamOperator<StylizedEvent> stylized = tap.apply(restyled)
                .keyBy(f -> f.videoId)
                .transform("stylize", TypeInformation.of(StylizedEvent.class), new StylizeOperator(
                        new CoherentStylizeFunction(c.limits(), c.style(), c.mode(), c.statePrecision(), c.computePrecision(),
                                c.driftControl(), c.styleFade(), c.batch()).preloading(c.preloadStyles())))
                .uid("stylize");
        DataStream<DeadLetterEvent> dead = frames.getSideOutput(Outputs.DEAD_LETTERS)
                .union(stylized.getSideOutput(Outputs.DEAD_LETTERS));
        if (restyled != frames) {
            dead = dead.union(restyled.getSideOutput(Outputs.DEAD_LETTERS));
        }
        stylized.sinkTo(sink(c, "stylized", new KafkaSerdes.StylizedOut(c.outputTopic())))
                .name("kafka-stylized").uid("kafka-stylized");
        dead.sinkTo(sink(c, "dead", new KafkaSerdes.DeadLetterOut(c.deadLetterTopic())))
                .name("kafka-dead-letters").uid("kafka-dead-letters");
    }

    /**
     * The control topic of a live job, subscribed by pattern so that the job starts before anyone
     * created it (it is found within 10 s once it exists). Not in a bounded job: a bounded KafkaSource
     * that finds no partition never ends (FLINK-31006).
     */
    private static DataStream<RawRecord> control(StreamExecutionEnvironment env, JobConfig c) {
        KafkaSource<RawRecord> source = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(c.bootstrap())
                .setTopicPattern(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(c.controlTopic())))
                .setGroupId(c.groupId())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new KafkaSerdes.RawIn())
                .setProperties(KafkaClients.jobSource(c.kafkaProperties()))
                .setProperty("partition.discovery.interval.ms", "10000")
                .build();
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-control").uid("kafka-control")
                .setParallelism(1);
    }

    private static <T> KafkaSink<T> sink(JobConfig c, String name,
                                         org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> ser) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(c.bootstrap())
                .setRecordSerializer(ser)
                .setDeliveryGuarantee(c.exactlyOnce() ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix(c) + name)
                .setKafkaProducerConfig(KafkaClients.jobSink(c.kafkaProperties()))
                .build();
    }

    /** What the ids of the sinks' transactions start with (the job's principal may use exactly these). */
    public static String transactionalIdPrefix(JobConfig c) {
        return c.groupId() + "-";
    }

    /** Styles a frame may ask for: the bundles in the models folder plus the job's default. */
    static Set<String> knownStyles(String defaultStyle) {
        Set<String> s = new HashSet<>(Bundles.available());
        s.add(defaultStyle);
        return s;
    }
}
