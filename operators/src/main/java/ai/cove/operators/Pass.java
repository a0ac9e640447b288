package ai.cove.operators;

import org.apache.flink.streaming.api.TimerService;

/**
 * What the keyed operator's work needs from the call it runs in (an element, a timer, the end of
 * the input): the current video, switching to another one for a cross-stream pass, the keyed
 * timers, and the main and dead-letter outputs.
 */
interface Pass {
    String currentVideo();

    /** Makes {@code video} the current key: keyed state and timers then act on its stream. */
    void switchTo(String video);

    TimerService timers();

    void collect(StylizedEvent e);

    void deadLetter(DeadLetterEvent d);
}
