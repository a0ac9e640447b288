package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleLoadingTest {
    @TempDir
    Path tmp;

    private Path copyOfFixture() throws IOException {
        return copyOf(Fixture.bundleDir());
    }

    private Path copyOf(Path bundle) throws IOException {
        Path dst = tmp.resolve("bundle");
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private void edit(Path bundle, String field, Object value) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = (ObjectNode) json.readTree(bundle.resolve("bundle.json").toFile());
        node.putPOJO(field, value);
        json.writeValue(bundle.resolve("bundle.json").toFile(), node);
    }

    @Test
    void loadsTheFixtureBundle() {
        BundleSpec spec = BundleSpec.read(Fixture.bundleDir());
        assertThat(spec.featureChannels()).isEqualTo(16);
        assertThat(spec.sizeMultiple()).isEqualTo(16);
        try (ModelBundle bundle = ModelBundle.load(spec, Device.cpu())) {
            assertThat(bundle.spec().name()).isEqualTo("tiny");
        }
    }

    @Test
    void missingFolderSaysWhatABundleIs() {
        assertThatThrownBy(() -> BundleSpec.read(tmp.resolve("nope")))
                .isInstanceOf(BundleException.class).hasMessageContaining("no bundle.json");
    }

    @Test
    void unknownNameListsAvailableBundles() {
        assertThatThrownBy(() -> Bundles.find("no-such-style"))
                .isInstanceOf(BundleException.class).hasMessageContaining("no model bundle \"no-such-style\"");
    }

    @Test
    void malformedJsonIsReported() throws IOException {
        Path b = copyOfFixture();
        Files.writeString(b.resolve("bundle.json"), "{ not json");
        assertThatThrownBy(() -> BundleSpec.read(b)).hasMessageContaining("not valid JSON");
    }

    @Test
    void wrongFormatVersionIsReported() throws IOException {
        Path b = copyOfFixture();
        edit(b, "format", 99);
        assertThatThrownBy(() -> BundleSpec.read(b)).hasMessageContaining("format 99").hasMessageContaining("re-export");
    }

    @Test
    void missingModuleFileIsNamed() throws IOException {
        Path b = copyOfFixture();
        Files.delete(b.resolve("mask.pt"));
        assertThatThrownBy(() -> BundleSpec.read(b)).hasMessageContaining("lacks its mask module");
    }

    @Test
    void anOptionalModuleThatBundleJsonListsMustBeThere() throws IOException {
        Path b = copyOf(Fixture.dir().resolve("tiny-texture-bundle"));
        assertThat(BundleSpec.read(b).modules()).contains(ModelBundle.Module.TEXTURE);
        Files.delete(b.resolve("texture.pt"));
        assertThatThrownBy(() -> BundleSpec.read(b)).hasMessageContaining("lacks its texture module");
    }

    @Test
    void missingFieldIsNamed() throws IOException {
        Path b = copyOfFixture();
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = (ObjectNode) json.readTree(b.resolve("bundle.json").toFile());
        node.remove("feature_channels");
        json.writeValue(b.resolve("bundle.json").toFile(), node);
        assertThatThrownBy(() -> BundleSpec.read(b)).hasMessageContaining("\"feature_channels\"");
    }

    @Test
    void maskInputsOtherThanTheTwoKnownFormsAreRejected() throws IOException {
        Path b = copyOfFixture();
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = (ObjectNode) json.readTree(b.resolve("bundle.json").toFile());
        ((com.fasterxml.jackson.databind.node.ArrayNode) node.path("modules").path("mask").path("inputs")).add("extra[N]");
        json.writeValue(b.resolve("bundle.json").toFile(), node);
        assertThatThrownBy(() -> BundleSpec.read(b)).isInstanceOf(BundleException.class)
                .hasMessageContaining("modules.mask.inputs lists 3 inputs");
    }

    @Test
    void disDownscaleMustDivideTheFeatureStride() throws IOException {
        Path b = copyOfFixture();
        assertThat(BundleSpec.read(b).disDownscale()).isEqualTo(1); // absent: DIS at full size
        edit(b, "dis_downscale", 3);
        assertThatThrownBy(() -> BundleSpec.read(b)).isInstanceOf(BundleException.class)
                .hasMessageContaining("dis_downscale must divide feature_stride 4, got 3");
        edit(b, "dis_downscale", 2);
        assertThat(BundleSpec.read(b).disDownscale()).isEqualTo(2);
        assertThat(BundleSpec.read(b).disTuning()).isEqualTo(DisFlow.Tuning.PRESET);
        edit(b, "dis_finest_scale", 0);
        edit(b, "dis_refinement_iterations", 10);
        assertThat(BundleSpec.read(b).disTuning()).isEqualTo(new DisFlow.Tuning(0, 10));
    }

    @Test
    void declaredChannelsThatDoNotMatchTheModulesFailOnLoad() throws IOException {
        Path b = copyOfFixture();
        edit(b, "feature_channels", 64);
        BundleSpec spec = BundleSpec.read(b);
        assertThatThrownBy(() -> ModelBundle.load(spec, Device.cpu()))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("module encoder")
                .hasMessageContaining("expected (1, 64, 4, 4)");
    }

    @Test
    void corruptTorchScriptFileIsReported() throws IOException {
        Path b = copyOfFixture();
        Files.write(b.resolve("decoder.pt"), new byte[] {1, 2, 3});
        Files.write(b.resolve("decoder.bfloat16.pt"), new byte[] {1, 2, 3});
        BundleSpec spec = BundleSpec.read(b);
        assertThatThrownBy(() -> ModelBundle.load(spec, Device.cpu(), ComputePrecision.FLOAT32))
                .isInstanceOf(BundleException.class).hasMessageContaining("cannot load the float32 decoder module");
        assertThatThrownBy(() -> ModelBundle.load(spec, Device.cpu(), ComputePrecision.BFLOAT16))
                .isInstanceOf(BundleException.class).hasMessageContaining("cannot load the bfloat16 decoder module");
    }

    @Test
    void aListedVariantFileThatIsMissingFailsOnRead() throws IOException {
        Path b = copyOfFixture();
        Files.delete(b.resolve("mask.bfloat16.pt"));
        assertThatThrownBy(() -> BundleSpec.read(b)).isInstanceOf(BundleException.class)
                .hasMessageContaining("bfloat16 mask module (mask.bfloat16.pt) that is missing");
    }
}
