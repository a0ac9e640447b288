package ai.cove.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.junit.jupiter.api.Test;

/** Avro single-object encoding: old records stay readable after the schema evolves; foreign bytes do not pass. */
class SchemaEvolutionTest {

    /** Frame as a later version might define it: one more optional field. */
    static final Schema FRAME_V2 = new Schema.Parser().parse(Frame.getClassSchema().toString()
            .replace("{\"name\":\"end_of_stream\"", "{\"name\":\"camera\",\"type\":[\"null\",\"string\"],\"default\":null},"
                    + "{\"name\":\"end_of_stream\""));

    static Frame frame() {
        return Frame.newBuilder().setVideoId("cam1").setSeq(7).setPtsMicros(280_000).setWidth(64).setHeight(36)
                .setCodec(Codec.JPEG).setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3})).setStyle("candy")
                .setEndOfStream(false).build();
    }

    @Test
    void evolvedReaderStillReadsRecordsOfTheCurrentSchema() throws Exception {
        assertThat(FRAME_V2.getField("camera")).isNotNull();
        ByteBuffer old = Frame.getEncoder().encode(frame());
        BinaryMessageDecoder<GenericRecord> v2 = new BinaryMessageDecoder<>(GenericData.get(), FRAME_V2);
        v2.addSchema(Frame.getClassSchema()); // the writer schemas a reader knows of
        GenericRecord r = v2.decode(old);
        assertThat(r.get("video_id").toString()).isEqualTo("cam1");
        assertThat(r.get("seq")).isEqualTo(7L);
        assertThat(r.get("camera")).isNull();
        assertThat(r.get("style").toString()).isEqualTo("candy");
    }

    @Test
    void recordsOfAnUnregisteredSchemaAreRejectedByFingerprint() throws Exception {
        GenericRecord newer = new GenericData.Record(FRAME_V2);
        for (Schema.Field f : FRAME_V2.getFields()) {
            newer.put(f.name(), frame().hasField(f.name()) ? frame().get(f.name()) : null);
        }
        ByteBuffer bytes = new org.apache.avro.message.BinaryMessageEncoder<GenericRecord>(GenericData.get(), FRAME_V2)
                .encode(newer);
        assertThatThrownBy(() -> Frame.getDecoder().decode(bytes)).isInstanceOf(MissingSchemaException.class);
    }

    @Test
    void foreignBytesAreRejectedWithAReason() {
        assertThatThrownBy(() -> Frame.getDecoder().decode(ByteBuffer.wrap("{\"video\":1}".getBytes())))
                .isInstanceOf(BadHeaderException.class).hasMessageContaining("header");
    }

    @Test
    void currentRecordsRoundTrip() throws Exception {
        assertThat(Frame.getDecoder().decode(Frame.getEncoder().encode(frame()))).isEqualTo(frame());
    }
}
