"""INFO sections from modules (RedisModule_InfoAddSection semantics) and the `# Modules` list, with the template
module (examples/module-template: `# hello_stats` with `hello_greetings`): which INFO arguments show module
sections as Redis 7.0 (everything, modules, the module's name, `<module>_<section>`; not plain INFO, default or
all), and the template's `hello.greeting` config."""

import pytest

from conftest import NO_PLUGINS
from resp import decode
from test_module_loading import hello_so  # noqa: F401  (the module-scoped fixture building the template)

pytestmark = pytest.mark.timeout_seconds(900)


def info(c, *args):
    text = decode(c.call("INFO", *args))
    return text.decode() if isinstance(text, bytes) else str(text)


@pytest.fixture
def srv(server_factory, hello_so):  # noqa: F811
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", hello_so) == b"+OK\r\n"
        assert decode(c.call("HELLO.GREET")) == b"Hello, world!"
        assert decode(c.call("HELLO.GREET", "you")) == b"Hello, you!"
    return s


def test_modules_section_lists_the_loaded_library(srv):
    with srv.client() as c:
        text = info(c, "modules")
        assert text.startswith("# Modules\r\n")
        assert "\r\nmodule:name=hello,ver=1,api=3,filters=0,usedby=[],using=[],options=[]\r\n" in text


def test_module_section_shows_its_prefixed_fields_with_modules_and_everything(srv):
    with srv.client() as c:
        for args in (("modules",), ("everything",), ("hello",), ("hello_stats",), ("HELLO_STATS",)):
            text = info(c, *args)
            assert "# hello_stats\r\nhello_greetings:2\r\n" in text, args


def test_module_sections_come_after_keyspace_in_everything(srv):
    with srv.client() as c:
        text = info(c, "everything")
        assert text.index("# Keyspace") < text.index("# hello_stats")
        assert text.endswith("hello_greetings:2\r\n")


def test_plain_default_all_and_other_names_leave_module_sections_out(srv):
    with srv.client() as c:
        for args in ((), ("default",), ("all",), ("hello_other",), ("server",)):
            assert "hello_stats" not in info(c, *args), args
        assert "\r\nmodule:name=hello," in info(c)
        assert "\r\nmodule:name=hello," in info(c, "all")


def test_unloaded_module_leaves_info(srv):
    with srv.client() as c:
        assert c.call("MODULE", "UNLOAD", "hello") == b"+OK\r\n"
        assert "hello" not in info(c, "everything")
        assert "module:name=hello," not in info(c, "modules")


def test_modules_section_without_modules_is_redis(server_factory):
    replies = []
    for kind in ("ours", "real"):
        s = server_factory(kind, *(NO_PLUGINS if kind == "ours" else ()))
        with s.client() as c:
            replies.append((c.call("INFO", "modules"), info(c, "nosuchsection")))
    assert replies[0] == replies[1]


def test_template_greeting_config(srv):
    with srv.client() as c:
        assert decode(c.call("CONFIG", "GET", "hello.*")) == [b"hello.greeting", b"Hello"]
        assert c.call("CONFIG", "SET", "hello.greeting", "Hi") == b"+OK\r\n"
        assert decode(c.call("HELLO.GREET", "there")) == b"Hi, there!"
        assert c.call("CONFIG", "SET", "hello.greeting", "") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'hello.greeting') - greeting cannot be empty\r\n")
