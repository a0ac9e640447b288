package ai.cove.engine.eval;

import ai.cove.engine.ImageOps;
import ai.cove.engine.RgbImage;
import ai.cove.engine.Stylizer;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How close frames are to a style image, measured with an ImageNet feature network that training
 * did not use (the MobileNetV2 that `training.lossnet.convert --model mobilenet_v2` writes, while
 * the style loss uses InceptionV3): at each depth the network returns, the Gram matrix of the
 * frame's features against the style image's, as ||G(frame) - G(style)||_F / ||G(style)||_F;
 * averaged over the depths. 0 is the style's own statistics; the input photo itself scores the
 * distance of "no style at all".
 *
 * <p>The feature network is a TorchScript file taking an ImageNet-normalised RGB image
 * [1,3,H,W] and returning one feature map or a list of them (the `--loss-net` contract).
 */
public final class StyleDistance implements AutoCloseable {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final NDManager base;
    private final List<NDArray> styleGrams;

    private StyleDistance(ZooModel<NDList, NDList> model, RgbImage style) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.base = NDManager.newBaseManager(model.getNDManager().getDevice());
        this.styleGrams = grams(base, style);
    }

    /** Loads the feature network and the style image's Gram matrices (style resized to {@code width}). */
    public static StyleDistance load(Path featureNet, RgbImage style, int width, Device device) {
        if (!Files.isRegularFile(featureNet)) {
            throw new IllegalArgumentException("no feature network " + featureNet + ": make one with python3 -m "
                    + "training.lossnet.convert --model mobilenet_v2 --layers <layers> --out " + featureNet);
        }
        String name = featureNet.getFileName().toString().replaceFirst("\\.pt$", "");
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(featureNet.toAbsolutePath().getParent()).optModelName(name).optEngine("PyTorch")
                .optDevice(device).optOption("mapLocation", "true").optTranslator(new NoopTranslator()).build();
        try {
            return new StyleDistance(criteria.loadModel(), ImageOps.fitWidth(style, width));
        } catch (IOException | ModelNotFoundException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load " + featureNet + " as TorchScript: " + e.getMessage(), e);
        }
    }

    /** The mean distance of the frames to the style. */
    public double mean(List<RgbImage> frames) {
        return frames.stream().mapToDouble(this::of).average().orElse(Double.NaN);
    }

    /** The distance of one frame to the style, averaged over the network's depths. */
    public double of(RgbImage frame) {
        try (NDManager m = base.newSubManager()) {
            List<NDArray> g = grams(m, frame);
            double sum = 0;
            for (int i = 0; i < g.size(); i++) {
                NDArray s = styleGrams.get(i);
                sum += g.get(i).sub(s).norm().getFloat() / s.norm().getFloat();
            }
            return sum / g.size();
        }
    }

    /** Gram matrix per depth, F F^T / (C h w) with F the [C, h*w] features, in manager m. */
    private List<NDArray> grams(NDManager m, RgbImage image) {
        JniUtils.setGradMode(false);
        NDList features;
        try {
            features = predictor.predict(new NDList(normalised(m, image)));
        } catch (TranslateException e) {
            throw new IllegalStateException("the feature network failed: " + e.getMessage(), e);
        }
        List<NDArray> out = new ArrayList<>();
        for (NDArray f : features) {
            f.attach(m);
            Shape s = f.getShape();
            long c = s.get(1);
            long hw = s.get(2) * s.get(3);
            NDArray flat = f.reshape(c, hw);
            out.add(flat.matMul(flat.transpose()).div((float) (c * hw)));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("the feature network returned no feature map");
        }
        return out;
    }

    private static NDArray normalised(NDManager m, RgbImage image) {
        NDArray mean = m.create(MEAN, new Shape(1, 3, 1, 1));
        NDArray std = m.create(STD, new Shape(1, 3, 1, 1));
        return Stylizer.toTensor(m, image).sub(mean).div(std);
    }

    @Override
    public void close() {
        ai.cove.engine.Closeables.closeAll(List.of(predictor, base::close, model));
    }
}
