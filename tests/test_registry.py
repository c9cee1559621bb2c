import pytest

from ppocr.registry import Registry, build
from ppocr.utils.errors import ConfigError

REG = Registry("thing")


@REG.register()
class Widget:
    def __init__(self, in_channels=3, hidden_size=8, max_text_length=25):
        self.in_channels, self.hidden_size, self.max_text_length = in_channels, hidden_size, max_text_length


@REG.register()
class Plain:
    def __init__(self, size=1):
        self.size = size


def test_build_passes_declared_defaults_and_globals():
    w = build({"name": "Widget", "hidden_size": 4}, REG, global_cfg={"max_text_length": 40, "use_space_char": True},
              in_channels=7, out_channels=9)
    assert (w.in_channels, w.hidden_size, w.max_text_length) == (7, 4, 40)


def test_component_value_beats_global():
    w = build({"name": "Widget", "max_text_length": 10}, REG, global_cfg={"max_text_length": 40})
    assert w.max_text_length == 10


def test_globals_not_forced_on_components():
    p = build({"name": "Plain"}, REG, global_cfg={"max_text_length": 40}, in_channels=3)
    assert p.size == 1


def test_unknown_key_suggests_nearest():
    with pytest.raises(ConfigError, match="hidden_size"):
        build({"name": "Widget", "hiden_size": 4}, REG, where="Architecture.Neck")


def test_unknown_name_suggests_nearest():
    with pytest.raises(ConfigError, match="Widget"):
        build({"name": "Widgte"}, REG)


def test_missing_name():
    with pytest.raises(ConfigError, match="missing 'name'"):
        build({"size": 3}, REG)


def test_double_registration_rejected():
    with pytest.raises(ConfigError, match="twice"):
        @REG.register(name="Plain")
        class Other:  # noqa: F811
            pass
