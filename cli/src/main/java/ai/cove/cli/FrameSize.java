package ai.cove.cli;

import java.util.Locale;

/** A frame size given on the command line as WxH (e.g. 640x360). */
record FrameSize(int width, int height) {
    FrameSize {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("a frame size must be positive, got " + width + "x" + height);
        }
    }

    static FrameSize parse(String text) {
        String[] wh = text.trim().toLowerCase(Locale.ROOT).split("x");
        try {
            if (wh.length == 2) {
                return new FrameSize(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
            }
        } catch (NumberFormatException e) {
            // reported below with the expected form
        }
        throw new IllegalArgumentException("expected a size WxH such as 640x360, got \"" + text + "\"");
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }

    static final class Converter implements picocli.CommandLine.ITypeConverter<FrameSize> {
        @Override
        public FrameSize convert(String value) {
            return parse(value);
        }
    }
}
