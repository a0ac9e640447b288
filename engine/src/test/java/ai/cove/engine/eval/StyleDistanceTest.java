package ai.cove.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StyleDistanceTest {
    static final Path NET = Path.of(System.getProperty("cove.repo", "..")).resolve(
            "engine/src/test/resources/fixture/two-depth-features.pt");

    @Test
    void theStyleItselfIsAtZeroAndOtherPicturesAreFartherAway() {
        List<RgbImage> clip = SampleClip.generate(64, 48, 3, 5);
        RgbImage style = clip.get(0);
        try (StyleDistance d = StyleDistance.load(NET, style, 64, Device.cpu())) {
            assertThat(d.of(style)).isLessThan(1e-5);
            RgbImage flat = RgbImage.blank(64, 48);
            assertThat(d.of(flat)).isGreaterThan(0.1);
            assertThat(d.mean(List.of(style, flat))).isCloseTo((d.of(style) + d.of(flat)) / 2,
                    org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void aMissingNetworkSaysHowToMakeOne() {
        assertThatThrownBy(() -> StyleDistance.load(Path.of("/nonexistent/mobilenet.pt"), RgbImage.blank(8, 8), 8,
                Device.cpu())).hasMessageContaining("training.lossnet.convert --model mobilenet_v2");
    }
}
