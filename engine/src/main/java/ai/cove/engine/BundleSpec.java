package ai.cove.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The parsed and checked bundle.json of a model bundle (written by training/export.py).
 *
 * @param dir folder holding bundle.json and the TorchScript modules
 * @param featureChannels C of the features at the split layer
 * @param featureStride features are at 1/featureStride resolution
 * @param sizeMultiple network inputs must have sides that are multiples of this
 * @param flowSource where the flow W_t comes from
 * @param disDownscale DIS runs on frames shrunk by this factor, a divisor of featureStride (1: full size)
 */
public record BundleSpec(Path dir, String name, String style, int featureChannels, int featureStride,
                         int sizeMultiple, FlowSource flowSource, int disDownscale, JsonNode json) {

    public static final int FORMAT = 1;
    private static final int MASK_INPUTS_WITH_IMAGES = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REQUIRED_MODULES = java.util.Arrays.stream(ModelBundle.Module.values())
            .filter(ModelBundle.Module::required).map(ModelBundle.Module::fileStem).toList();

    public static BundleSpec read(Path dir) {
        Path file = dir.resolve("bundle.json");
        if (!Files.isRegularFile(file)) {
            throw new BundleException("no bundle.json in " + dir.toAbsolutePath()
                    + ": a model bundle is a folder made by training/export.py (see models/README.md)");
        }
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BundleException(file + " is not valid JSON: " + e.getMessage(), e);
        }
        int format = requiredInt(json, "format", file);
        if (format != FORMAT) {
            throw new BundleException(file + " has format " + format + " but this cove reads format " + FORMAT
                    + ": re-export the bundle with this version's training/export.py");
        }
        BundleSpec spec = new BundleSpec(dir, requiredText(json, "name", file), requiredText(json, "style", file),
                requiredInt(json, "feature_channels", file), requiredInt(json, "feature_stride", file),
                requiredInt(json, "size_multiple", file), flowSource(json, file),
                json.path("dis_downscale").asInt(1), json);
        spec.check(file);
        return spec;
    }

    private void check(Path file) {
        if (featureChannels <= 0 || featureStride <= 0 || sizeMultiple <= 0 || sizeMultiple % featureStride != 0) {
            throw new BundleException(file + ": feature_channels, feature_stride and size_multiple must be positive"
                    + " and size_multiple a multiple of feature_stride (got " + featureChannels + ", "
                    + featureStride + ", " + sizeMultiple + ")");
        }
        if (disDownscale < 1 || featureStride % disDownscale != 0) {
            throw new BundleException(file + ": dis_downscale must divide feature_stride " + featureStride + ", got "
                    + disDownscale);
        }
        for (ModelBundle.Module module : modules()) {
            Path p = modulePath(module);
            if (!Files.isRegularFile(p)) {
                throw new BundleException("bundle " + dir + " lacks its " + module.fileStem() + " module ("
                        + p.getFileName() + "); every bundle needs " + REQUIRED_MODULES
                        + (module.required() ? "" : " and the optional ones its bundle.json lists"));
            }
        }
        int maskInputs = json.path("modules").path("mask").path("inputs").size();
        if (maskInputs != 0 && maskInputs != 2 && maskInputs != MASK_INPUTS_WITH_IMAGES) {
            throw new BundleException(file + ": the mask module takes (features, warped) or (features, warped,"
                    + " previous_image, image, flow), but modules.mask.inputs lists " + maskInputs + " inputs");
        }
        json.path("variants").fields().forEachRemaining(v -> v.getValue().fields().forEachRemaining(m -> {
            if (!Files.isRegularFile(dir.resolve(m.getValue().asText()))) {
                throw new BundleException("bundle " + dir + " lists a " + v.getKey() + " " + m.getKey() + " module ("
                        + m.getValue().asText() + ") that is missing");
            }
        }));
    }

    /** The modules this bundle has: every required one, and the optional ones bundle.json lists. */
    public List<ModelBundle.Module> modules() {
        return java.util.Arrays.stream(ModelBundle.Module.values())
                .filter(m -> m.required() || json.path("modules").has(m.fileStem())).toList();
    }

    /**
     * True when the mask module also takes (previous_image, image, flow), to see how well the flow
     * explains the input (architecture.mask_evidence "image"); false for the paper's mask, which
     * sees only the features and the warped features.
     */
    public boolean maskSeesImages() {
        return json.path("modules").path("mask").path("inputs").size() == MASK_INPUTS_WITH_IMAGES;
    }

    /** How DIS departs from its MEDIUM preset; absent fields keep the preset's values. */
    public DisFlow.Tuning disTuning() {
        return new DisFlow.Tuning(json.path("dis_finest_scale").asInt(-1), json.path("dis_refinement_iterations").asInt(-1));
    }

    public Path modulePath(ModelBundle.Module module) {
        String fileName = json.path("modules").path(module.fileStem()).path("file").asText(module.fileStem() + ".pt");
        return dir.resolve(fileName);
    }

    /** The module file at a precision: the variant's file if the bundle has one for it, else float32. */
    public Path modulePath(ModelBundle.Module module, ComputePrecision precision) {
        String variant = json.path("variants").path(precision.label()).path(module.fileStem()).asText("");
        return variant.isEmpty() || precision == ComputePrecision.FLOAT32 ? modulePath(module) : dir.resolve(variant);
    }

    public boolean hasVariant(ComputePrecision precision) {
        return precision == ComputePrecision.FLOAT32 || json.path("variants").has(precision.label());
    }

    private static FlowSource flowSource(JsonNode json, Path file) {
        try {
            return FlowSource.parse(json.path("flow_source").asText(FlowSource.NETWORK.label()));
        } catch (IllegalArgumentException e) {
            throw new BundleException(file + ": " + e.getMessage(), e);
        }
    }

    private static String requiredText(JsonNode json, String field, Path file) {
        JsonNode node = json.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new BundleException(file + " lacks the text field \"" + field + "\"");
        }
        return node.asText();
    }

    private static int requiredInt(JsonNode json, String field, Path file) {
        JsonNode node = json.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw new BundleException(file + " lacks the integer field \"" + field + "\"");
        }
        return node.asInt();
    }
}
