package ai.cove.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

class CoveJobTest {
    /** The operators whose output is shuffled to the keyed stylize operator send each frame on at once. */
    @Test
    void framesLeaveForTheStylizeOperatorWithoutWaitingForTheBufferTimeout() {
        for (boolean bounded : new boolean[] {false, true}) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            CoveJob.build(env, JobConfig.defaults("localhost:9092").toBuilder().bounded(bounded).build());
            StreamGraph graph = env.getStreamGraph();
            List<StreamNode> nodes = List.copyOf(graph.getStreamNodes());
            StreamNode feeding = nodes.stream().filter(n -> n.getOperatorName().equals(bounded ? "decode" : "style-overrides"))
                    .findFirst().orElseThrow();
            assertThat(feeding.getOutEdges()).as("its output goes to stylize")
                    .anyMatch(e -> graph.getStreamNode(e.getTargetId()).getOperatorName().equals("stylize"));
            assertThat(feeding.getBufferTimeout()).as(feeding.getOperatorName()).isZero();
        }
    }
}
