package ai.cove.operators;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.ModelBundle;
import ai.djl.Device;
import java.util.HashMap;
import java.util.Map;

/**
 * One loaded model per bundle and device per TaskManager JVM, shared by its slots and released
 * when the last user closes. Each subtask makes its own Stylizer (its own predictors).
 */
final class SharedModels {
    private record Key(String bundle, String device, ComputePrecision precision) {
    }

    private static final class Entry {
        final ModelBundle bundle;
        int users;

        Entry(ModelBundle bundle) {
            this.bundle = bundle;
        }
    }

    private static final Map<Key, Entry> MODELS = new HashMap<>();

    private SharedModels() {
    }

    static synchronized ModelBundle acquire(String style, Device device, ComputePrecision precision) {
        BundleSpec spec = Bundles.find(style);
        ComputePrecision p = precision.checkedFor(spec, device);
        Key key = new Key(spec.dir().toAbsolutePath().normalize().toString(), device.toString(), p);
        Entry e = MODELS.computeIfAbsent(key, k -> new Entry(ModelBundle.load(spec, device, p)));
        e.users++;
        return e.bundle;
    }

    static synchronized void release(ModelBundle bundle) {
        MODELS.entrySet().removeIf(en -> {
            Entry e = en.getValue();
            if (e.bundle != bundle) {
                return false;
            }
            if (--e.users > 0) {
                return false;
            }
            e.bundle.close();
            return true;
        });
    }
}
