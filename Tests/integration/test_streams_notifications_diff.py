"""Keyspace notifications of the stream commands (class `t`) compared with redis-server 7.0.15, using the
harness of test_notifications_diff.py."""

from test_notifications_diff import check_events, env_factory, notif_servers  # noqa: F401  (fixtures)


def test_xadd_xtrim_xdel_xsetid_events(env_factory):
    r = check_events(env_factory, ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "MAXLEN", "1", "2-1", "f", "v"),
                     ("XADD", "s", "MAXLEN", "5", "3-1", "f", "v"), ("XDEL", "s", "3-1"), ("XDEL", "s", "9-9"),
                     ("XTRIM", "s", "MAXLEN", "0"), ("XTRIM", "s", "MAXLEN", "0"), ("XSETID", "s", "5-5"),
                     ("XADD", "nos", "NOMKSTREAM", "1-1", "f", "v"))
    assert r


def test_group_events(env_factory):
    check_events(env_factory, ("XADD", "s", "1-1", "f", "v"), ("XGROUP", "CREATE", "s", "g", "0"),
                 ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"), ("XGROUP", "SETID", "s", "g", "0"),
                 ("XGROUP", "CREATECONSUMER", "s", "g", "c"), ("XGROUP", "CREATECONSUMER", "s", "g", "c"),
                 ("XREADGROUP", "GROUP", "g", "new", "STREAMS", "s", ">"),
                 ("XCLAIM", "s", "g", "other", "0", "1-1"), ("XAUTOCLAIM", "s", "g", "third", "0", "0"),
                 ("XGROUP", "DELCONSUMER", "s", "g", "c"), ("XGROUP", "DESTROY", "s", "g"),
                 ("XGROUP", "DESTROY", "s", "g"))


def test_only_stream_class_selected(env_factory):
    check_events(env_factory, ("XADD", "s", "1-1", "f", "v"), ("SET", "x", "1"), ("XDEL", "s", "1-1"),
                 ("DEL", "s"), flags="Kt")
