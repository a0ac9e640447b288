package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Style changes on the fixture bundle: style "a" is the bundle, style "b" the same networks with the
 * decoder's picture inverted, so the two styles give clearly different frames.
 */
class StyleFadeTest {
    private static ModelBundle bundle;
    private static Predictor<NDList, NDList> decoder;
    private static Stylizer a;
    private static Stylizer b;
    private static List<RgbImage> frames;

    @BeforeAll
    static void load() throws IOException {
        bundle = ModelBundle.load(BundleSpec.read(Fixture.bundleDir()), Device.cpu(), ComputePrecision.FLOAT32);
        decoder = bundle.newPredictor(ModelBundle.Module.DECODER);
        a = Stylizer.create(bundle, Mode.COHERENT);
        b = Stylizer.builder(bundle, Mode.COHERENT).replace(ModelBundle.Module.DECODER, in -> inverted(in)).build();
        frames = new ArrayList<>();
        for (int i = 0; i < Fixture.expected().get("frames").asInt(); i++) {
            frames.add(Fixture.image("input_" + i + ".png"));
        }
        frames.addAll(List.copyOf(frames)); // long enough for a fade and what follows it
    }

    private static ai.djl.ndarray.NDArray inverted(NDList in) {
        try {
            return decoder.predict(in).singletonOrThrow().neg().add(1f);
        } catch (TranslateException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void close() {
        Closeables.closeAll(List.of(a, b, decoder, bundle));
    }

    private static Stylizer of(String style) {
        return Map.of("a", a, "b", b).get(style);
    }

    /** The frames of one style's own recurrence, started at frame {@code from}. */
    private static List<RgbImage> alone(Stylizer s, int from) {
        List<RgbImage> out = new ArrayList<>();
        StreamState state = null;
        for (RgbImage f : frames.subList(from, frames.size())) {
            Stylizer.Result r = s.step(state, f);
            out.add(r.image());
            state = r.state();
        }
        return out;
    }

    /** Runs the frames through a fade, style "a" before frame {@code at} and "b" from it. */
    private static List<StyleFade.Step> switched(StyleFade fade, int at) {
        List<StyleFade.Step> steps = new ArrayList<>();
        StyleFade.Stream s = null;
        for (int i = 0; i < frames.size(); i++) {
            StyleFade.Step step = fade.step(s, i < at ? "a" : "b", frames.get(i), StyleFadeTest::of);
            steps.add(step);
            s = step.next();
        }
        return steps;
    }

    @Test
    void aFadeDissolvesFromTheOldRecurrenceToTheNewOneAndThenDropsTheOld() {
        int at = 2;
        StyleFade fade = new StyleFade(3);
        List<StyleFade.Step> steps = switched(fade, at);
        List<RgbImage> oldStyle = alone(a, 0);
        List<RgbImage> newStyle = alone(b, at);
        assertThat(Fixture.maxDiff(oldStyle.get(1), newStyle.get(0))).as("the two styles differ").isGreaterThan(50);
        for (int i = 0; i < at; i++) {
            assertThat(steps.get(i).result().image()).isEqualTo(oldStyle.get(i));
            assertThat(steps.get(i).next().fading()).isFalse();
        }
        for (int k = 1; k <= fade.frames(); k++) {
            int i = at + k - 1;
            StyleFade.Step step = steps.get(i);
            assertThat(step.changed()).isEqualTo(k == 1);
            RgbImage mix = ImageOps.mix(oldStyle.get(i), newStyle.get(i - at), fade.weight(k));
            assertThat(Fixture.maxDiff(step.result().image(), mix)).as("frame %d of the fade", k).isLessThanOrEqualTo(1);
            assertThat(step.next().fading()).isEqualTo(k < fade.frames());
            assertThat(step.result().state().frames()).as("the new recurrence's frames").isEqualTo(k);
        }
        for (int i = at + fade.frames(); i < frames.size(); i++) {
            assertThat(steps.get(i).result().image()).isEqualTo(newStyle.get(i - at));
            assertThat(steps.get(i).next().fromState()).isNull();
        }
    }

    @Test
    void theNewStylesWeightRisesStrictlyInsideZeroToOne() {
        StyleFade fade = new StyleFade(5);
        float previous = 0f;
        for (int k = 1; k <= 5; k++) {
            assertThat(fade.weight(k)).isGreaterThan(previous).isLessThan(1f);
            previous = fade.weight(k);
        }
        assertThat(fade.weight(3)).isEqualTo(0.5f); // symmetric about the middle of the fade
    }

    @Test
    void aHardSwitchRestartsWithTheNewStylesNet0() {
        List<StyleFade.Step> steps = switched(StyleFade.HARD, 2);
        assertThat(steps.get(2).changed()).isTrue();
        assertThat(steps.get(2).result().net1()).isFalse();
        assertThat(steps.get(2).result().image()).isEqualTo(alone(b, 2).get(0));
        assertThat(steps.get(2).next().fading()).isFalse();
    }

    @Test
    void aChangeDuringAFadeFadesFromTheStyleThatWasComingIn() {
        StyleFade fade = new StyleFade(4);
        StyleFade.Step first = fade.step(null, "a", frames.get(0), StyleFadeTest::of);
        StyleFade.Step toB = fade.step(first.next(), "b", frames.get(1), StyleFadeTest::of);
        StyleFade.Step backToA = fade.step(toB.next(), "a", frames.get(2), StyleFadeTest::of);
        assertThat(backToA.changed()).isTrue();
        assertThat(backToA.next().fromStyle()).isEqualTo("b");
        assertThat(backToA.next().faded()).isEqualTo(1);
        assertThat(backToA.result().state().frames()).as("a restarts with Net0").isEqualTo(1);
    }

    @Test
    void negativeFadeLengthsAreRefused() {
        assertThatThrownBy(() -> new StyleFade(-1)).hasMessageContaining(">= 0");
    }
}
