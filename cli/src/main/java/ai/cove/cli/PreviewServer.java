package ai.cove.cli;

import ai.cove.engine.Bundles;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaClients;
import ai.cove.operators.FrameCodec;
import ai.cove.schemas.Codec;
import ai.cove.schemas.DeadLetter;
import ai.cove.schemas.Frame;
import ai.cove.schemas.StylizedFrame;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live preview behind {@code cove preview}: tails the input, output and dead-letter topics and
 * serves a page (JDK's built-in HTTP server) that shows a video's latest input and stylized frame
 * side by side, its counters, and a style selector that writes a StyleChange to the control topic;
 * and both sides as MJPEG streams for players ({@code /mjpeg/stylized?video=...}).
 */
final class PreviewServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PreviewServer.class);
    /** Records per partition read back from each topic's end at start: what was on just before. */
    private static final int BACKLOG = 50;
    private static final long FPS_WINDOW_MILLIS = 5_000;
    private static final String MJPEG_BOUNDARY = "cove-frame";
    /** How often an MJPEG stream looks for a newer frame (40 ms: 25 fps). */
    private static final long MJPEG_POLL_MILLIS = 40;

    /** What the page shows of one video; written by the tail threads, read by HTTP threads. */
    static final class View {
        volatile byte[] inputJpeg;
        volatile long inputSeq = -1;
        volatile byte[] stylizedJpeg;
        volatile long stylizedSeq = -1;
        volatile String style;
        volatile Double meanMask;
        volatile Double warpError;
        volatile long lagMillis = -1;
        volatile long framesOut;
        volatile long deadLetters;
        private final ArrayDeque<Long> outTimes = new ArrayDeque<>();

        synchronized void outAt(long millis) {
            outTimes.addLast(millis);
            while (!outTimes.isEmpty() && outTimes.peekFirst() < millis - FPS_WINDOW_MILLIS) {
                outTimes.removeFirst();
            }
        }

        synchronized double fps() {
            long now = System.currentTimeMillis();
            return outTimes.stream().filter(t -> t >= now - FPS_WINDOW_MILLIS).count() * 1000.0 / FPS_WINDOW_MILLIS;
        }
    }

    private final JobConfig config;
    private final Map<String, View> views = new ConcurrentHashMap<>();
    private final HttpServer http;
    private final List<Thread> tails = new ArrayList<>();
    private volatile boolean running = true;
    private final ObjectMapper json = new ObjectMapper();

    PreviewServer(JobConfig config, String host, int port) throws IOException {
        this.config = config;
        http = HttpServer.create(new InetSocketAddress(host, port), 0);
        http.setExecutor(Executors.newCachedThreadPool()); // an MJPEG stream holds its thread while it plays
        http.createContext("/", this::page);
        http.createContext("/api/videos", ex -> send(ex, 200, "application/json", json.writeValueAsBytes(videos())));
        http.createContext("/api/stats", ex -> {
            View v = views.get(param(ex, "video"));
            send(ex, v == null ? 404 : 200, "application/json", json.writeValueAsBytes(v == null ? Map.of() : stats(param(ex, "video"), v)));
        });
        http.createContext("/api/styles", ex -> send(ex, 200, "application/json", json.writeValueAsBytes(Bundles.available())));
        http.createContext("/api/style", this::restyle);
        http.createContext("/frame/input", ex -> frame(ex, v -> v.inputJpeg, v -> v.inputSeq));
        http.createContext("/frame/stylized", ex -> frame(ex, v -> v.stylizedJpeg, v -> v.stylizedSeq));
        http.createContext("/mjpeg/input", ex -> mjpeg(ex, v -> v.inputJpeg, v -> v.inputSeq));
        http.createContext("/mjpeg/stylized", ex -> mjpeg(ex, v -> v.stylizedJpeg, v -> v.stylizedSeq));
    }

    void start() {
        tail(config.inputTopic(), this::onInput);
        tail(config.outputTopic(), this::onStylized);
        tail(config.deadLetterTopic(), this::onDeadLetter);
        http.start();
        LOG.info("preview at http://{}:{}/ (topics {}, {}, {})", http.getAddress().getHostString(), port(),
                config.inputTopic(), config.outputTopic(), config.deadLetterTopic());
    }

    int port() {
        return http.getAddress().getPort();
    }

    private View view(String video) {
        return views.computeIfAbsent(video, k -> new View());
    }

    private void onInput(ConsumerRecord<byte[], byte[]> r) {
        Frame f;
        try {
            f = FrameCodec.decodeFrame(r.value());
        } catch (FrameCodec.InvalidFrame bad) {
            return; // the job dead-letters it; the counter shows that
        }
        byte[] payload = FrameTopics.bytes(f.getPayload());
        View v = view(f.getVideoId());
        if (f.getSeq() >= v.inputSeq) {
            v.inputJpeg = f.getCodec() == Codec.JPEG ? payload : ImageCodec.encodeJpeg(f.getCodec() == Codec.RAW_RGB24
                    ? new RgbImage(f.getWidth(), f.getHeight(), payload) : ImageCodec.decode(payload), 90);
            v.inputSeq = f.getSeq();
        }
    }

    private void onStylized(ConsumerRecord<byte[], byte[]> r) {
        StylizedFrame f = FrameTopics.stylized(r);
        View v = view(f.getVideoId());
        v.framesOut++;
        v.outAt(System.currentTimeMillis());
        if (f.getSeq() >= v.stylizedSeq) {
            v.stylizedJpeg = FrameTopics.bytes(f.getJpeg());
            v.stylizedSeq = f.getSeq();
            v.style = f.getStyle();
            v.meanMask = f.getMeanMask();
            v.warpError = f.getWarpError();
            v.lagMillis = f.getIngestMillis() == null ? -1 : System.currentTimeMillis() - f.getIngestMillis();
        }
    }

    private void onDeadLetter(ConsumerRecord<byte[], byte[]> r) {
        DeadLetter d = FrameCodec.decodeDeadLetter(r.value());
        if (d.getVideoId() != null) {
            view(d.getVideoId().toString()).deadLetters++;
        }
    }

    /** A daemon thread reading a topic (read_committed) from a little before its end, then as it grows. */
    private void tail(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Thread t = new Thread(() -> {
            Properties p = KafkaClients.committedReader(config.bootstrap(), config.kafkaProperties());
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> parts = FrameTopics.assignFromStart(c, topic);
                c.endOffsets(parts).forEach((tp, end) -> c.seek(tp, Math.max(0, end - BACKLOG)));
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        try {
                            each.accept(r);
                        } catch (RuntimeException e) {
                            LOG.warn("preview skips a record of {} at offset {}: {}", topic, r.offset(), e.getMessage());
                        }
                    }
                }
            }
        }, "preview-" + topic);
        t.setDaemon(true);
        t.start();
        tails.add(t);
    }

    private List<Map<String, Object>> videos() {
        List<Map<String, Object>> out = new ArrayList<>();
        new TreeMap<>(views).forEach((id, v) -> out.add(stats(id, v)));
        return out;
    }

    private static Map<String, Object> stats(String id, View v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("video", id);
        m.put("input_seq", v.inputSeq);
        m.put("stylized_seq", v.stylizedSeq);
        m.put("style", v.style);
        m.put("fps", Math.round(v.fps() * 10) / 10.0);
        m.put("lag_ms", v.lagMillis);
        m.put("frames_out", v.framesOut);
        m.put("dead_letters", v.deadLetters);
        m.put("mean_mask", v.meanMask);
        m.put("warp_error", v.warpError);
        return m;
    }

    private void page(HttpExchange ex) throws IOException {
        if (!ex.getRequestURI().getPath().equals("/")) {
            send(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (InputStream in = PreviewServer.class.getResourceAsStream("/preview/index.html")) {
            send(ex, 200, "text/html; charset=utf-8", in.readAllBytes());
        }
    }

    private void frame(HttpExchange ex, java.util.function.Function<View, byte[]> jpeg,
                       java.util.function.ToLongFunction<View> seq) throws IOException {
        View v = views.get(param(ex, "video"));
        byte[] image = v == null ? null : jpeg.apply(v);
        if (image == null) {
            send(ex, 404, "text/plain", "no frame yet".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ex.getResponseHeaders().add("X-Seq", Long.toString(seq.applyAsLong(v)));
        ex.getResponseHeaders().add("Cache-Control", "no-store");
        send(ex, 200, "image/jpeg", image);
    }

    /**
     * A video's frames as an MJPEG stream (multipart/x-mixed-replace) for players and other pages:
     * each new frame as a part with its seq in an X-Seq header, until the client goes away.
     */
    private void mjpeg(HttpExchange ex, java.util.function.Function<View, byte[]> jpeg,
                       java.util.function.ToLongFunction<View> seq) throws IOException {
        String video = param(ex, "video");
        ex.getResponseHeaders().add("Content-Type", "multipart/x-mixed-replace; boundary=" + MJPEG_BOUNDARY);
        ex.getResponseHeaders().add("Cache-Control", "no-store");
        ex.sendResponseHeaders(200, 0);
        long sent = -1;
        try (OutputStream out = ex.getResponseBody()) {
            while (running) {
                View v = views.get(video);
                byte[] image = v == null ? null : jpeg.apply(v);
                long s = v == null ? -1 : seq.applyAsLong(v);
                if (image != null && s != sent) {
                    out.write(("--" + MJPEG_BOUNDARY + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + image.length
                            + "\r\nX-Seq: " + s + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(image);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sent = s;
                }
                Thread.sleep(MJPEG_POLL_MILLIS);
            }
        } catch (IOException gone) {
            LOG.debug("MJPEG client of {} left: {}", video, gone.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** POST video=..&style=.. (style empty: clear): a StyleChange on the control topic. */
    private void restyle(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            send(ex, 405, "text/plain", "POST video and style".getBytes(StandardCharsets.UTF_8));
            return;
        }
        Map<String, String> form = form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String video = form.get("video");
        String style = form.getOrDefault("style", "");
        if (video == null) {
            send(ex, 400, "text/plain", ("need a video, got " + form).getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            RestyleCommand.send(config, video, style.isEmpty() ? null : style);
        } catch (IllegalArgumentException unknownStyle) {
            send(ex, 400, "text/plain", unknownStyle.getMessage().getBytes(StandardCharsets.UTF_8));
            return;
        } catch (Exception e) {
            LOG.warn("style change for {} failed: {}", video, e.getMessage());
            send(ex, 502, "text/plain", ("could not write the style change: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(ex, 200, "application/json", json.writeValueAsBytes(Map.of("video", video, "style", style)));
    }

    private static Map<String, String> form(String body) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    private static String param(HttpExchange ex, String name) {
        String q = ex.getRequestURI().getRawQuery();
        return q == null ? null : form(q).get(name);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        running = false;
        http.stop(0);
        for (Thread t : tails) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
