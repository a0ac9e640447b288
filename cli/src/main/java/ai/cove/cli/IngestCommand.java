package ai.cove.cli;

import ai.cove.engine.LiveSource;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.VideoSource;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.schemas.Frame;
import ai.cove.engine.Closeables;
import ai.cove.engine.av.AudioTrack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove ingest}: replays a video archive, or takes a live feed, into the input topic as JPEG
 * frames (and the archive's audio into the audio topic).
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Replay a video or frame folder into Kafka.")
public final class IngestCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", description = "input topic (default: the config's, frames)")
    String topic;

    @Option(names = "--video-id", required = true, description = "video id (the Kafka key)")
    String videoId;

    @Option(names = "--input", description = "video file, folder of frames, or a live URL FFmpeg reads "
            + "(rtsp://, rtmp://, srt://, udp://, tcp://, http(s):// and HLS): reconnected with backoff when it drops, "
            + "seq numbers continuing")
    String input;

    @Option(names = "--listen", description = "with a URL: be the server a publisher pushes to "
            + "(e.g. rtmp://0.0.0.0:1935/live/cam), one publisher at a time, waiting for the next when one leaves")
    boolean listen;

    @Option(names = "--give-up-after", defaultValue = "60", description = "live input: stop after this many seconds "
            + "without a frame (default: ${DEFAULT-VALUE})")
    long giveUpAfterSeconds;

    @Option(names = "--generate", description = "instead of --input: a generated sample clip WxHxN (e.g. 320x180x60) "
            + "at 25 fps, or at --rate when that is a number")
    String generate;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the generated clip")
    int seed;

    @Option(names = "--videos", defaultValue = "1", description = "with --generate: this many videos at once, "
            + "<video-id>-0 .. <video-id>-(N-1) with seeds seed .. seed+N-1, frames interleaved and --rate per video")
    int videos;

    @Option(names = "--balance-subtasks", paramLabel = "P", description = "with --videos: ids <video-id>-k chosen so "
            + "that Flink's key hashing gives each of P stylize subtasks as many videos (a few consecutive ids rarely "
            + "spread evenly; for throughput measurements)")
    Integer balanceSubtasks;

    @Option(names = "--rate", defaultValue = "max",
            description = "realtime (the clip's frame rate), frames per second (e.g. 5), or max (default: ${DEFAULT-VALUE})")
    String rate;

    @Option(names = "--style", description = "bundle name to request for this video (default: the job's)")
    String style;

    @Option(names = "--max-frames", defaultValue = "0", description = "send at most N frames per video (0: all); "
            + "end-of-stream is marked only on a video's real last frame, so a later --from-frame can continue it")
    long maxFrames;

    @Option(names = "--from-frame", defaultValue = "0", description = "skip the first K frames; seq numbers start at "
            + "K, continuing a replay that stopped there (with --max-frames K)")
    long fromFrame;

    @Option(names = "--no-audio", description = "do not send the input's audio to the audio topic")
    boolean noAudio;

    private VideoSource generated(int index) {
        int last = generate.toLowerCase(java.util.Locale.ROOT).lastIndexOf('x');
        try {
            FrameSize size = FrameSize.parse(generate.substring(0, Math.max(0, last)));
            int count = Integer.parseInt(generate.substring(last + 1));
            // a generated clip is "captured" at the rate it is sent: its presentation times follow a numeric --rate
            double fps = framesPerSecond(25.0);
            double rateOr25 = fps > 0 ? fps : 25.0;
            return VideoSource.of(SampleClip.generate(size.width(), size.height(), count, seed + index), rateOr25);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--generate takes WxHxN such as 320x180x60, got " + generate, e);
        }
    }

    /** --rate as frames per second; 0 for max. */
    private double framesPerSecond(double clipRate) {
        switch (rate) {
            case "max":
                return 0;
            case "realtime":
                return clipRate;
            default:
                try {
                    double fps = Double.parseDouble(rate);
                    if (fps > 0) {
                        return fps;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IllegalArgumentException("--rate takes realtime, max or a positive number of frames per "
                        + "second, got " + rate);
        }
    }

    @Override
    public Integer call() throws Exception {
        framesPerSecond(1); // a bad --rate fails before anything is sent
        if ((input == null) == (generate == null)) {
            throw new IllegalArgumentException("give exactly one of --input and --generate");
        }
        if (fromFrame < 0 || maxFrames < 0) {
            throw new IllegalArgumentException("--from-frame and --max-frames take a count of frames, 0 or more");
        }
        if (videos < 1 || (videos > 1 && generate == null)) {
            throw new IllegalArgumentException("--videos takes a positive number and needs --generate");
        }
        if (balanceSubtasks != null && (videos == 1 || balanceSubtasks < 1)) {
            throw new IllegalArgumentException("--balance-subtasks takes a positive number of subtasks and needs --videos N");
        }
        JobConfig c = kafka.load();
        String t = topic != null ? topic : c.inputTopic();
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 2, t, c.audioTopic());
        KafkaAccess.require(Role.INGEST, c.toBuilder().topics(t, c.outputTopic(), c.deadLetterTopic()).build());
        AudioTrack audio = input != null && !LiveSource.isUrl(input) && Files.isRegularFile(Path.of(input)) && !noAudio
                ? AudioTrack.read(Path.of(input)).orElse(null) : null;
        List<VideoSource> sources = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = FrameTopics.producer(c.bootstrap(), c.kafkaProperties())) {
            for (int v = 0; v < videos; v++) {
                sources.add(generate != null ? generated(v)
                        : VideoSource.open(input, listen, java.time.Duration.ofSeconds(giveUpAfterSeconds)));
            }
            AudioSender audioSender = noAudio || videos > 1 ? null : new AudioSender(producer, c.audioTopic(), audio);
            List<String> ids = ids();
            long sent = send(producer, t, sources, ids, audioSender);
            System.out.printf("ingested %d frames of %s into %s at %s%s%n", sent,
                    videos == 1 ? "video " + videoId : videos + " videos " + String.join(", ", ids), t, c.bootstrap(),
                    audioSender == null || audioSender.sent == 0 ? "" : ", and " + audioSender.sent + " " + audioSender.codec
                            + " audio packets into " + c.audioTopic());
        } finally {
            Closeables.closeAll(sources);
        }
        return 0;
    }

    /**
     * The audio of the one video being ingested, sent beside its frames. A file's packets (read up
     * front, copied as they are): before frame s, every packet that starts before frame s ends, each
     * keeping its number in the whole track, so a replay continued with --from-frame continues their
     * numbering too. A live feed's PCM packets: as the source hands them over.
     */
    private final class AudioSender {
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final AudioTrack track;
        private int next;
        long sent;
        String codec;

        AudioSender(KafkaProducer<byte[], byte[]> producer, String topic, AudioTrack track) {
            this.producer = producer;
            this.topic = topic;
            this.track = track;
        }

        /** A file's packets starting before {@code endMicros}, skipping those before {@code fromMicros} (> 0). */
        void sendUntil(long endMicros, long fromMicros) {
            if (track == null) {
                return;
            }
            List<AudioTrack.AudioPacket> packets = track.packets();
            while (next < packets.size() && packets.get(next).ptsMicros() < endMicros) {
                AudioTrack.AudioPacket p = packets.get(next);
                if (fromMicros <= 0 || p.ptsMicros() >= fromMicros) {
                    send(next, track.format(), p);
                }
                next++;
            }
        }

        /** What a live source has heard since the last call. */
        void sendLive(VideoSource src) {
            for (AudioTrack.AudioPacket p : src.takeAudio()) {
                send(next++, src.audioFormat().orElseThrow(), p);
            }
        }

        private void send(long seq, AudioTrack.AudioFormat format, AudioTrack.AudioPacket p) {
            FrameTopics.send(producer, topic, FrameTopics.audioPacket(videoId, seq, format, p));
            codec = format.codec();
            sent++;
        }
    }

    /** The video ids: the one given, <video-id>-0 .. -(N-1), or N ids balanced over --balance-subtasks subtasks. */
    private List<String> ids() {
        if (videos == 1) {
            return List.of(videoId);
        }
        if (balanceSubtasks != null) {
            return KeyBalance.balancedIds(videoId, videos, balanceSubtasks);
        }
        List<String> ids = new ArrayList<>();
        for (int v = 0; v < videos; v++) {
            ids.add(videoId + "-" + v);
        }
        return ids;
    }

    /** Sends frame i of every video, then frame i + 1, ..., paced per video; returns the frames sent. */
    private long send(KafkaProducer<byte[], byte[]> producer, String topic, List<VideoSource> sources, List<String> ids,
                      AudioSender audio) throws Exception {
        List<RgbImage> next = new ArrayList<>();
        for (int v = 0; v < sources.size(); v++) {
            RgbImage first = sources.get(v).next();
            for (long k = 0; k < fromFrame && first != null; k++) {
                first = sources.get(v).next();
            }
            next.add(first);
        }
        // a file's frame count may be unknown (-1) or an estimate: it sizes the progress bar, never the loop
        long known = sources.get(0).length() > 0 ? Math.max(0, sources.get(0).length() - fromFrame) : -1;
        long perVideo = maxFrames > 0 && known >= 0 ? Math.min(maxFrames, known) : maxFrames > 0 ? maxFrames : known;
        long sent = 0;
        // harnesses time the input from this line and find it at the start of a line: printed before
        // the progress bar, whose own thread may otherwise draw first on the same line
        System.err.println("sending " + ids.size() + " video(s) to " + topic);
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("ingest " + videoId)
                .setInitialMax(perVideo < 0 ? -1 : perVideo * videos)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" frames", 1).build()) {
            Pacer pacer = new Pacer(framesPerSecond(sources.get(0).frameRate()));
            for (long i = 0; (maxFrames <= 0 || i < maxFrames) && next.stream().anyMatch(java.util.Objects::nonNull); i++) {
                pacer.awaitTurn(i);
                for (int v = 0; v < sources.size(); v++) {
                    RgbImage frame = next.get(v);
                    if (frame == null) {
                        continue;
                    }
                    VideoSource src = sources.get(v);
                    if (audio != null) {
                        audio.sendUntil(FrameTopics.ptsMicros(fromFrame + i + 1, src.frameRate()),
                                FrameTopics.ptsMicros(fromFrame, src.frameRate()));
                    }
                    // a live source is not read ahead at the last frame asked for: the next may never come
                    boolean lastAskedFor = maxFrames > 0 && i + 1 >= maxFrames;
                    boolean readAhead = !(src.live() && lastAskedFor);
                    RgbImage after = readAhead ? src.next() : null;
                    if (audio != null) {
                        audio.sendLive(src);
                    }
                    next.set(v, after);
                    FrameTopics.send(producer, topic, Frame.newBuilder(FrameTopics.jpegFrame(ids.get(v), fromFrame + i,
                            src.frameRate(), frame, readAhead && after == null)).setStyle(style).build());
                    sent++;
                    bar.step();
                }
            }
            producer.flush();
        }
        return sent;
    }
}
