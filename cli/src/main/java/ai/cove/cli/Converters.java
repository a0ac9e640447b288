package ai.cove.cli;

import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Mode;
import ai.cove.engine.StatePrecision;
import picocli.CommandLine.ITypeConverter;

/** picocli reads typed options through the engine's one parser per type, so every message matches. */
final class Converters {
    private Converters() {
    }

    static final class ModeConverter implements ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            return Mode.parse(value);
        }
    }

    static final class ComputePrecisionConverter implements ITypeConverter<ComputePrecision> {
        @Override
        public ComputePrecision convert(String value) {
            return ComputePrecision.parse(value);
        }
    }

    static final class StatePrecisionConverter implements ITypeConverter<StatePrecision> {
        @Override
        public StatePrecision convert(String value) {
            return StatePrecision.parse(value);
        }
    }
}
