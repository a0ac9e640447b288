package ai.cove.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded model bundle: one TorchScript model per sub-network on one device. Thread-safe to share;
 * each inference thread makes its own {@link Stylizer} (and so its own predictors).
 */
public final class ModelBundle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelBundle.class);

    /** The TorchScript modules of a bundle (see training/export.py for signatures). */
    public enum Module {
        ENCODER(StageTimes.Stage.ENCODER, true), DECODER(StageTimes.Stage.DECODER, true),
        FLOW(StageTimes.Stage.FLOW, true), WARP(StageTimes.Stage.WARP, true), MASK(StageTimes.Stage.MASK, true),
        /** Optional: what the decoder sees of F^o (networks.TextureBlend); absent, it sees F^o itself. */
        TEXTURE(StageTimes.Stage.COMPOSE, false);

        private final StageTimes.Stage stage;
        private final boolean required;

        Module(StageTimes.Stage stage, boolean required) {
            this.stage = stage;
            this.required = required;
        }

        /** The module's name in bundle.json and its file name without extension. */
        public String fileStem() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The stage of the step whose time this module's calls count as. */
        public StageTimes.Stage stage() {
            return stage;
        }

        /** Every bundle has it (else only bundles whose bundle.json lists it). */
        public boolean required() {
            return required;
        }
    }

    private final BundleSpec spec;
    private final Device device;
    private final ComputePrecision precision;
    private final Map<Module, ZooModel<NDList, NDList>> models = new EnumMap<>(Module.class);

    private ModelBundle(BundleSpec spec, Device device, ComputePrecision precision) {
        this.spec = spec;
        this.device = device;
        this.precision = precision;
    }

    /** Loads the bundle's float32 modules. */
    public static ModelBundle load(BundleSpec spec, Device device) {
        return load(spec, device, ComputePrecision.FLOAT32);
    }

    /** Loads every module and checks its signature with a small forward pass; fails with what is wrong. */
    public static ModelBundle load(BundleSpec spec, Device device, ComputePrecision precision) {
        if (precision == ComputePrecision.AUTO) {
            throw new IllegalArgumentException("resolve precision auto with ComputePrecision.checkedFor before loading");
        }
        ModelBundle bundle = new ModelBundle(spec, device, precision);
        try {
            for (Module m : spec.modules()) {
                bundle.models.put(m, loadModule(spec, m, device, precision));
            }
            bundle.verifySignatures();
        } catch (RuntimeException e) {
            bundle.close();
            throw e;
        }
        LOG.info("loaded bundle {} (style {}) on {} in {}", spec.name(), spec.style(), device, precision.label());
        return bundle;
    }

    private static ZooModel<NDList, NDList> loadModule(BundleSpec spec, Module module, Device device,
                                                       ComputePrecision precision) {
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(spec.dir())
                .optModelName(stem(spec.modulePath(module, precision)))
                .optEngine("PyTorch")
                .optDevice(device)
                .optOption("mapLocation", "true")
                .optTranslator(new NoopTranslator())
                .build();
        try {
            return criteria.loadModel();
        } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new BundleException("cannot load the " + precision.label() + " " + module.fileStem() + " module of bundle " + spec.dir()
                    + " as TorchScript: " + e.getMessage(), e);
        }
    }

    private static String stem(java.nio.file.Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
    }

    /** Runs each module on a minimal input and checks output shapes against bundle.json. */
    private void verifySignatures() {
        int s = spec.sizeMultiple();
        int f = s / spec.featureStride();
        int c = spec.featureChannels();
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager(device)) {
            var image = m.randomUniform(0f, 1f, new Shape(1, 3, s, s));
            var features = expect(Module.ENCODER, new NDList(image), new Shape(1, c, f, f));
            expect(Module.DECODER, new NDList(features), new Shape(1, 3, s, s));
            var flow = expect(Module.FLOW, new NDList(image, image), new Shape(1, 2, f, f));
            var warped = expect(Module.WARP, new NDList(features, flow), new Shape(1, c, f, f));
            NDList maskInputs = spec.maskSeesImages() ? new NDList(features, warped, image, image, flow)
                    : new NDList(features, warped);
            var mask = expect(Module.MASK, maskInputs, new Shape(1, 1, f, f));
            if (has(Module.TEXTURE)) {
                expect(Module.TEXTURE, new NDList(features, mask, features), new Shape(1, c, f, f));
            }
        }
    }

    private ai.djl.ndarray.NDArray expect(Module module, NDList input, Shape expected) {
        NDList out;
        try (Predictor<NDList, NDList> p = models.get(module).newPredictor()) {
            out = p.predict(input);
        } catch (TranslateException | RuntimeException e) {
            throw new BundleException("module " + module.fileStem() + " of bundle " + spec.dir()
                    + " failed on inputs " + shapes(input) + ": " + e.getMessage(), e);
        }
        if (out.size() != 1 || !out.head().getShape().equals(expected)) {
            throw new BundleException("module " + module.fileStem() + " of bundle " + spec.dir() + " returned "
                    + shapes(out) + " for inputs " + shapes(input) + ", expected " + expected
                    + " (feature_channels=" + spec.featureChannels() + ", feature_stride=" + spec.featureStride()
                    + " in bundle.json)");
        }
        return out.head();
    }

    private static String shapes(NDList list) {
        StringBuilder b = new StringBuilder("[");
        list.forEach(a -> b.append(b.length() > 1 ? ", " : "").append(a.getShape()));
        return b.append(']').toString();
    }

    public Predictor<NDList, NDList> newPredictor(Module module) {
        ZooModel<NDList, NDList> model = models.get(module);
        if (model == null) {
            throw new IllegalArgumentException("bundle " + spec.name() + " has no " + module.fileStem() + " module");
        }
        return model.newPredictor();
    }

    /** Whether the bundle has the module (every required one; an optional one if bundle.json lists it). */
    public boolean has(Module module) {
        return models.containsKey(module);
    }

    public BundleSpec spec() {
        return spec;
    }

    public Device device() {
        return device;
    }

    public ComputePrecision precision() {
        return precision;
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(models.values());
        models.clear();
        Closeables.closeAll(all);
    }
}
