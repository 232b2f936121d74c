"""`core.tablecache.TableCache`: a small table held per process, read again after its time or a clear — except while
held, for a loop that must not query its connection midway (a rating import's COPY: a reload there waited forever)."""

from whistle.core.tablecache import TableCache


def test_table_is_read_again_after_clear_but_not_while_held():
    reads = []

    def load():
        reads.append(1)
        return {"n": len(reads)}

    table = TableCache(load, ttl=3600)
    assert table.get() == {"n": 1} and table.get() == {"n": 1}
    table.clear()
    assert table.get() == {"n": 2}
    with table.held() as value:
        table.clear()  # an edit signalled midway
        assert value == {"n": 2} and table.get() == {"n": 2} and len(reads) == 2
    assert table.get() == {"n": 3}  # read again once the block ends
