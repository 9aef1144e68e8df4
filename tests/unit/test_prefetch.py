import threading
import time

import pytest

from sar_colorizer.core.prefetch import RunAhead


def test_items_arrive_in_order_and_end():
    with RunAhead(iter(range(50)), depth=3, name="t") as items:
        assert list(items) == list(range(50))
        assert list(items) == []  # stays ended


def test_the_worker_stays_at_most_depth_items_ahead():
    produced = []

    def source():
        for i in range(20):
            produced.append(i)
            yield i

    with RunAhead(source(), depth=2, name="t") as items:
        assert next(items) == 0
        time.sleep(0.2)
        # item 0 taken, 2 waiting in the queue, and the worker holding a 4th it cannot queue
        assert len(produced) == 4


def test_an_error_reaches_the_consumer_at_its_item():
    def source():
        yield 1
        yield 2
        raise OSError("read failed at row 512")

    got = []
    with RunAhead(source(), depth=4, name="t") as items:
        with pytest.raises(OSError, match="^read failed at row 512$"):
            for x in items:
                got.append(x)
    assert got == [1, 2]


def test_leaving_early_stops_the_worker_and_closes_the_source_in_its_thread():
    closed_in = []

    def source():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed_in.append(threading.current_thread().name)

    before = threading.active_count()
    with RunAhead(source(), depth=2, name="sar-test-worker") as items:
        assert next(items) == 0
    assert closed_in == ["sar-test-worker"]
    assert threading.active_count() == before


def test_chained_stages_close_from_the_consumer_back():
    log = []

    def read():
        try:
            for i in range(1000):
                yield i
        finally:
            log.append("read closed")

    with RunAhead(read(), 2, "read") as a, RunAhead((x * 10 for x in a), 2, "model") as b:
        assert [next(b) for _ in range(3)] == [0, 10, 20]
    assert log == ["read closed"]


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="^depth must be at least 1, not 0$"):
        RunAhead([], 0, "t")
