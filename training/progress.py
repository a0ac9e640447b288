"""A small terminal progress display for training runs (no tqdm in Debian's minimal set)."""
import sys
import time


class Progress:
    def __init__(self, total: int, label: str, initial: int = 0, stream=sys.stderr):
        self.total, self.label, self.stream = total, label, stream
        self.start, self.initial, self.last = time.time(), initial, 0.0

    def update(self, done: int, fields=None) -> None:
        now = time.time()
        if now - self.last < 0.5 and done < self.total:
            return
        self.last = now
        rate = (done - self.initial) / max(now - self.start, 1e-9)
        width = 30
        filled = int(width * done / max(self.total, 1))
        extra = " ".join(f"{k}={v:.4g}" for k, v in (fields or {}).items())
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                          f"{rate:.2f}/s {extra}"[:200])
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
